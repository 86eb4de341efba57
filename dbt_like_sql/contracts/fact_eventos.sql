-- Event grain: an outage episode of one comuna (and company in the legacy era) across
-- consecutive hours with customers affected, bridged across no-data hours (failed, degraded,
-- missing), ended by a valid hour without it. evento_id = md5(geografia_id|empresa_id|first
-- hour): a month boundary does not split an episode.
--
-- Postgres stores it as one partition per month of first_hour (fact_eventos__YYYY_MM, plus a
-- DEFAULT partition). An episode load rewrites the months it touches whole: new partitions
-- filled by COPY and ATTACHed, so the three foreign keys are checked by one set-based query
-- each instead of a trigger per row. Postgres wants the partition column in the primary key,
-- so there it is (evento_id, month); evento_id hashes first_hour, which the CHECK ties to
-- month, so one evento_id in two months would take an md5 collision.
-- DuckDB stores it as one table that declares no key (no ART index: upserting a month's
-- episodes into an index of every episode cost more as the history grew). The keys below are
-- still the table's, checked set-based by every replace (sec_assets/warehouse/replace.py):
-- NOT NULL, no id twice in the new rows, no id stored twice in the months the replace touches
-- (a whole-table check when it names no months), every foreign key resolving. As on Postgres,
-- one evento_id in two months would take an md5 collision of the first hour.
-- storage duckdb: keys checked
-- storage postgres: PARTITION BY LIST (month)
-- storage postgres: CHECK (month = lpad(extract(year FROM first_hour)::int::text, 4, '0') || '-'
-- storage postgres:        || lpad(extract(month FROM first_hour)::int::text, 2, '0'))
CREATE TABLE IF NOT EXISTS silver.fact_eventos (
    evento_id        TEXT COLLATE "C" NOT NULL,  -- md5 hex, compared by bytes (as hash_id)
    geografia_id     INTEGER NOT NULL REFERENCES silver.dim_geografia (geografia_id),
    empresa_id       TEXT NOT NULL REFERENCES silver.dim_empresa (empresa_id),
    month            TEXT NOT NULL,          -- month of first_hour (the owner)
    first_hour       TIMESTAMP NOT NULL,     -- first hour seen with customers affected
    last_hour        TIMESTAMP NOT NULL,     -- last hour seen
    start_lower      TIMESTAMP NOT NULL,     -- the last valid hour without it (or first_hour)
    start_upper      TIMESTAMP NOT NULL,     -- = first_hour
    end_lower        TIMESTAMP NOT NULL,     -- = last_hour + 1 h
    end_upper        TIMESTAMP NOT NULL,     -- the first valid hour without it (or last + 1 h)
    peak_customers   BIGINT NOT NULL,        -- high-water mark
    customer_hours   DOUBLE PRECISION NOT NULL,
    snapshots        INTEGER NOT NULL,       -- hours observed with customers affected
    gap_hours        INTEGER NOT NULL,       -- no-data hours bridged inside the episode
    censored_start   BOOLEAN NOT NULL,       -- history edge or no data before first_hour
    censored_end     BOOLEAN NOT NULL,       -- still open at the data edge or no data after
    tiempo_id        INTEGER NOT NULL REFERENCES silver.dim_tiempo (tiempo_id),
    PRIMARY KEY (evento_id)
);

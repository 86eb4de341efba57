-- Observation grain: one row per (hour, comuna, company, outage start date when the era gives
-- one), fragments of the same key summed. hash_id = md5 of the natural key (idempotent loads).
--
-- Stored as one table per month on both engines (fact_interrupciones__YYYY_MM, plus
-- fact_interrupciones__default for rows written outside a month's load): one key index over
-- the whole history would make every load and checkpoint pay for all months
-- (sec_assets/warehouse/partitions.py). DuckDB: month tables created by each month's load from
-- the DEFAULT table's definition, read through the view silver.fact_interrupciones (UNION ALL
-- of them). Postgres: LIST partitions; a month's load builds its partition apart, COPYs into
-- it and ATTACHes it, so every foreign key is checked by one set-based query instead of a
-- trigger per row (docs/benchmarks.md). Postgres wants the partition column in the primary
-- key, so there it is (hash_id, month); hash_id stays unique across months anyway: it is the
-- md5 of a key that holds hour_key, and the CHECK ties month to hour_key. hash_id compares
-- by bytes (COLLATE "C"): hex digits sort the same in any collation, and Postgres builds a
-- month's key index at ATTACH faster without a locale-aware comparison.
-- storage duckdb: per_month
-- storage postgres: PARTITION BY LIST (month)
CREATE TABLE IF NOT EXISTS silver.fact_interrupciones (
    hash_id              TEXT COLLATE "C" NOT NULL,  -- byte order: md5 hex sorts the same
    hour_key             TEXT NOT NULL REFERENCES silver.snapshot_ledger (hour_key),
    month                TEXT NOT NULL,
    hora_local           TIMESTAMP NOT NULL,
    tiempo_id            INTEGER NOT NULL REFERENCES silver.dim_tiempo (tiempo_id),
    geografia_id         INTEGER NOT NULL REFERENCES silver.dim_geografia (geografia_id),
    empresa_id           TEXT NOT NULL REFERENCES silver.dim_empresa (empresa_id),
    fecha_inicio         TIMESTAMP,              -- outage start (legacy era), else NULL
    clientes_afectados   BIGINT NOT NULL,
    fragmentos           INTEGER NOT NULL,       -- raw rows summed into this one
    actualizado_hace_min INTEGER,                -- legacy ACTUALIZADO_HACE in minutes
    era                  TEXT NOT NULL,
    nombre_region_raw    TEXT,
    nombre_comuna_raw    TEXT,
    nombre_empresa_raw   TEXT,
    flag_clientes_missing BOOLEAN NOT NULL,      -- guardrail: missing/non-numeric → 0
    flag_geo_unknown      BOOLEAN NOT NULL,      -- guardrail: comuna unresolved → UNKNOWN
    flag_empresa_unknown  BOOLEAN NOT NULL,      -- guardrail: company unresolved → unknown
    flag_fecha_fallback   BOOLEAN NOT NULL,      -- guardrail: bad start date → server time
    flag_capped           BOOLEAN NOT NULL,      -- guardrail: above region customers → capped
    PRIMARY KEY (hash_id),
    CHECK (month = left(hour_key, 7))
);

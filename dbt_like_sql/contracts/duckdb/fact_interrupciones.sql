-- DuckDB version of ../fact_interrupciones.sql: the same columns, types and foreign keys,
-- stored as one table per month (fact_interrupciones__YYYY_MM, created by each month's load
-- from this table's definition) plus fact_interrupciones__default, and read through the view
-- silver.fact_interrupciones (UNION ALL of them, rebuilt when a month is added). One primary-
-- key index over the whole history would make every load and checkpoint pay for all months
-- (sec_assets/warehouse/partitions.py). hash_id stays unique across months: it is the md5 of
-- a key that holds hour_key, and the CHECK ties month to hour_key.
CREATE TABLE IF NOT EXISTS silver.fact_interrupciones__default (
    hash_id              TEXT NOT NULL,
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

CREATE VIEW IF NOT EXISTS silver.fact_interrupciones AS
SELECT * FROM silver.fact_interrupciones__default;

-- Postgres version of ../fact_interrupciones.sql: the same columns, types and foreign keys,
-- stored as one partition per month (fact_interrupciones__YYYY_MM, plus a DEFAULT partition
-- for rows written outside the monthly load). A month's load builds its partition apart,
-- COPYs into it, and ATTACHes it: Postgres then checks every foreign key with one set-based
-- query instead of a trigger per row (a storm month: 2.9 s -> ~1.0 s; README, Benchmarks).
-- A partitioned table's primary key must hold the partition column, hence (hash_id, month).
-- hash_id stays unique across months too: it is the md5 of a key that holds hour_key, and the
-- CHECK below ties month to hour_key, so one hash_id in two months would be an md5 collision.
CREATE TABLE IF NOT EXISTS silver.fact_interrupciones (
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
    PRIMARY KEY (hash_id, month),
    CHECK (month = left(hour_key, 7))
) PARTITION BY LIST (month);

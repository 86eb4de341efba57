-- Observation grain: one row per (hour, comuna, company, outage start date when the era gives
-- one), fragments of the same key summed. hash_id = md5 of the natural key (idempotent loads).
CREATE TABLE IF NOT EXISTS silver.fact_interrupciones (
    hash_id              TEXT PRIMARY KEY,
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
    flag_capped           BOOLEAN NOT NULL       -- guardrail: above region customers → capped
);

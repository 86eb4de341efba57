-- One row per local hour of each loaded month: what tells "zero outages" from "no data".
-- status: ok | empty | degraded | failed | schema_error | wrong_date | missing (never requested).
CREATE TABLE IF NOT EXISTS silver.snapshot_ledger (
    hour_key      TEXT PRIMARY KEY,         -- 'YYYY-MM-DDTHH', Chile local wall clock
    month         TEXT NOT NULL,            -- 'YYYY-MM', the partition
    hora_local    TIMESTAMP NOT NULL,
    hora_utc      TIMESTAMPTZ NOT NULL,
    tiempo_id     INTEGER NOT NULL REFERENCES silver.dim_tiempo (tiempo_id),
    status        TEXT NOT NULL,
    era           TEXT,                     -- current | legacy | empty; NULL without an answer
    fingerprint   TEXT,
    rows_raw      INTEGER NOT NULL,         -- rows in the answer
    rows_loaded   INTEGER NOT NULL,         -- observations after summing fragments
    comunas       INTEGER NOT NULL,
    customers     BIGINT NOT NULL,
    versions      INTEGER NOT NULL,         -- valid answers stored for the hour
    attempts      INTEGER NOT NULL,         -- all stored attempts, failed ones included
    fetched_at    TIMESTAMPTZ,              -- of the version loaded
    server_time   TIMESTAMP,                -- GetHoraServer of the collecting run, if any
    error         TEXT
);

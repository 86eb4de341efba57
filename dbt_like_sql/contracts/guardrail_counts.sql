-- Per partition, how many rows each guardrail touched (kept for the data-quality payload).
CREATE TABLE IF NOT EXISTS silver.guardrail_counts (
    month      TEXT NOT NULL,
    guardrail  TEXT NOT NULL,   -- clientes_missing | geo_unknown | empresa_unknown | fecha_fallback | capped | quarantined
    rows       BIGINT NOT NULL,
    customers  BIGINT NOT NULL,
    PRIMARY KEY (month, guardrail)
);

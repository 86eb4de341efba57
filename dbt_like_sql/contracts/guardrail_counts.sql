-- Per partition, how many rows each guardrail touched (kept for the data-quality payload).
-- guardrail is one of sec_assets.silver.guardrails.GUARDRAILS (clientes_missing, geo_unknown,
-- empresa_unknown, fecha_fallback, capped, region_total_capped, duplicate_rows) or quarantined
-- (answers set aside by silver/transform.py; customers is 0 there).
CREATE TABLE IF NOT EXISTS silver.guardrail_counts (
    month      TEXT NOT NULL,
    guardrail  TEXT NOT NULL,   -- see above
    rows       BIGINT NOT NULL,
    customers  BIGINT NOT NULL,
    PRIMARY KEY (month, guardrail)
);

-- Electricity distribution companies, plus 'unknown' (named by the service but unresolved)
-- and 'no_informada' (the payload era does not report a company: the current 3-field era).
CREATE TABLE IF NOT EXISTS silver.dim_empresa (
    empresa_id      TEXT PRIMARY KEY,
    nombre_empresa  TEXT NOT NULL,
    nombre_oficial  TEXT NOT NULL,
    is_unknown      BOOLEAN NOT NULL,
    seed_version    TEXT NOT NULL
);

-- One row per calendar date from 2017-01-01 to 2030-12-31, id YYYYMMDD, plus UNKNOWN (id 0,
-- fecha 1900-01-01).
CREATE TABLE IF NOT EXISTS silver.dim_tiempo (
    tiempo_id   INTEGER PRIMARY KEY,   -- YYYYMMDD
    fecha       DATE NOT NULL UNIQUE,
    anho        INTEGER NOT NULL,
    trimestre   INTEGER NOT NULL,
    mes         INTEGER NOT NULL,
    dia         INTEGER NOT NULL,
    dia_semana  INTEGER NOT NULL,      -- ISO: 1 = Monday … 7 = Sunday
    es_fin_de_semana BOOLEAN NOT NULL,
    is_unknown  BOOLEAN NOT NULL
);

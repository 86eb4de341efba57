-- Energy-sector projects of the SEIA list (sea.gob.cl "Búsqueda de proyectos"), one row per
-- project, the whole table replaced by sec_assets.silver.seia.load_seia. project_id = md5 of the
-- normalized name | presentation date. A value the reader could not parse is NULL (and
-- counted by the reader), never a guess.
CREATE TABLE IF NOT EXISTS silver.seia_projects (
    project_id         TEXT PRIMARY KEY,
    project            TEXT NOT NULL,
    tipo               TEXT,                 -- DIA | EIA
    tipologia          TEXT,                 -- DS 40 art. 3 letter: b1, b2, c, ...
    titular            TEXT,
    cut_region         INTEGER,              -- NULL: Interregional or not resolved
    nombre_region_raw  TEXT,
    interregional      BOOLEAN NOT NULL,
    investment_mmusd   DOUBLE PRECISION,     -- millions of USD; NULL when unparsable
    status             TEXT,                 -- Aprobado, En Calificación, Rechazado, ...
    presented          DATE,                 -- Fecha Presentación; NULL when unparsable
    qualified          DATE,                 -- Fecha Calificación, if the export has it
    operation_proxy    DATE,                 -- Aprobado: COALESCE(qualified, presented)
    year               INTEGER               -- of presented
);

-- Official regions and comunas (CUT codes) from sec_assets/seeds, one row per comuna, plus
-- an UNKNOWN member per region (geografia_id = cut_region * 1000 + 999) and a global UNKNOWN
-- (geografia_id = 0) for rows whose region cannot be resolved either.
CREATE TABLE IF NOT EXISTS silver.dim_geografia (
    geografia_id   INTEGER PRIMARY KEY,      -- int(cut_comuna), or the UNKNOWN ids above
    cut_comuna     TEXT NOT NULL UNIQUE,     -- 5-digit CUT code ('13119'); '00000' / 'RR999'
    nombre_comuna  TEXT NOT NULL,
    cut_provincia  TEXT NOT NULL,
    cut_region     INTEGER NOT NULL,         -- 0 for the global UNKNOWN
    nombre_region  TEXT NOT NULL,
    poblacion      BIGINT,                   -- census 2017
    empresa_principal TEXT,                  -- the comuna's main distributor (largest share)
    is_unknown     BOOLEAN NOT NULL,
    seed_version   TEXT NOT NULL
);

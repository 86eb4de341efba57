-- The observation-grain golden dataset of the months :first_month … :last_month (the Python side
-- adds each hour's cadence, splits the rows by month and sorts each month's: a run of several
-- months reads them in one query, sec_assets/gold/observations.py). One row per (hour, comuna,
-- company) with customers affected, fragments and outage start dates summed; and, for an hour
-- without valid data (ledger status other than ok and empty), one row per official comuna it does
-- not list, with NULL customers: "no data" never reads as zero. A comuna absent from an ok or
-- empty hour had no customers affected. No ORDER BY: the rows are sorted by region, comuna, hour
-- and company in Polars after the cadence join (an ORDER BY here took twice the query's time on
-- DuckDB).
WITH hours AS (
    SELECT l.month, l.hour_key, l.hora_local, l.hora_utc, l.status, l.era,
           COUNT(*) OVER (PARTITION BY l.tiempo_id) AS day_hours
    FROM {{ ref('snapshot_ledger') }} l
    WHERE l.month BETWEEN :first_month AND :last_month
),
observed AS (
    SELECT f.hour_key, f.geografia_id, f.empresa_id,
           SUM(f.clientes_afectados) AS clientes_afectados,
           SUM(f.fragmentos) AS fragmentos,
           BOOL_OR(f.flag_clientes_missing) AS flag_clientes_missing,
           BOOL_OR(f.flag_geo_unknown) AS flag_geo_unknown,
           BOOL_OR(f.flag_empresa_unknown) AS flag_empresa_unknown,
           BOOL_OR(f.flag_fecha_fallback) AS flag_fecha_fallback,
           BOOL_OR(f.flag_capped) AS flag_capped
    FROM {{ ref('fact_interrupciones') }} f
    WHERE f.month BETWEEN :first_month AND :last_month
    GROUP BY f.hour_key, f.geografia_id, f.empresa_id
),
unobserved AS (
    SELECT h.hour_key, g.geografia_id, CAST(NULL AS TEXT) AS empresa_id,
           CAST(NULL AS BIGINT) AS clientes_afectados, CAST(NULL AS BIGINT) AS fragmentos,
           CAST(NULL AS BOOLEAN) AS flag_clientes_missing,
           CAST(NULL AS BOOLEAN) AS flag_geo_unknown,
           CAST(NULL AS BOOLEAN) AS flag_empresa_unknown,
           CAST(NULL AS BOOLEAN) AS flag_fecha_fallback,
           CAST(NULL AS BOOLEAN) AS flag_capped
    FROM hours h
    CROSS JOIN {{ ref('dim_geografia') }} g
    WHERE h.status NOT IN ('ok', 'empty') AND NOT g.is_unknown
      AND NOT EXISTS (
          SELECT 1 FROM observed o
          WHERE o.hour_key = h.hour_key AND o.geografia_id = g.geografia_id
      )
),
rows_ AS (
    SELECT * FROM observed
    UNION ALL
    SELECT * FROM unobserved
)
SELECT h.month, h.hora_local, h.hora_utc,
       g.cut_region, g.nombre_region, g.cut_comuna, g.nombre_comuna,
       g.is_unknown AS comuna_unknown,
       r.empresa_id, d.nombre_empresa,
       r.clientes_afectados, r.fragmentos,
       h.status AS ledger_status, h.era, h.day_hours,
       c.customers AS region_customers, c.as_of AS customers_as_of,
       c.source AS customers_source,
       r.flag_clientes_missing, r.flag_geo_unknown, r.flag_empresa_unknown,
       r.flag_fecha_fallback, r.flag_capped
FROM rows_ r
JOIN hours h ON h.hour_key = r.hour_key
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = r.geografia_id
LEFT JOIN {{ ref('dim_empresa') }} d ON d.empresa_id = r.empresa_id
LEFT JOIN {{ ref('customer_caps') }} c ON c.month = h.month AND c.cut_region = g.cut_region

-- market_map: per region, comuna and company, over the whole history.
-- total_afectados = sum of the episodes' peak customers; frecuencia = episodes (both over the
-- months sampled at the history's finest cadence: docs/cadence.md);
-- instability_index = 100 × percent rank (0–100) of customer-hours per customer, where a
-- comuna's customers are its region's (silver.region_customers, averaged over months) split by
-- population share (census 2017). The company is the one the service reported, or the comuna's
-- main distributor when the payload era reports none. UNKNOWN comunas are left out (they are
-- counted in eda_quality_stats).
-- customer-hours weigh each observation by the hours it stands for, so every month counts.
WITH peaks AS (
    SELECT e.geografia_id, e.empresa_id,
           COUNT(*) AS frecuencia,
           SUM(e.peak_customers) AS total_afectados
    FROM {{ ref('fact_eventos', cadence='finest') }} e
    GROUP BY e.geografia_id, e.empresa_id
),
hours AS (
    SELECT e.geografia_id, e.empresa_id, SUM(e.customer_hours) AS customer_hours
    FROM {{ ref('fact_eventos') }} e
    GROUP BY e.geografia_id, e.empresa_id
),
ev AS (
    SELECT h.geografia_id, h.empresa_id,
           COALESCE(p.frecuencia, 0) AS frecuencia,
           COALESCE(p.total_afectados, 0) AS total_afectados,
           h.customer_hours
    FROM hours h
    LEFT JOIN peaks p ON p.geografia_id = h.geografia_id AND p.empresa_id = h.empresa_id
),
reg AS (
    SELECT cut_region, AVG(customers) AS customers
    FROM {{ ref('region_customers') }} rc
    GROUP BY cut_region
),
pop AS (
    SELECT cut_region, SUM(poblacion) AS poblacion
    FROM {{ ref('dim_geografia') }} WHERE NOT is_unknown GROUP BY cut_region
),
base AS (
    SELECT g.nombre_region, g.nombre_comuna, d.nombre_empresa,
           SUM(ev.total_afectados) AS total_afectados,
           SUM(ev.frecuencia) AS frecuencia,
           SUM(ev.customer_hours)
             / NULLIF(MAX(reg.customers) * MAX(g.poblacion) / NULLIF(MAX(pop.poblacion), 0), 0)
             AS hours_per_customer
    FROM ev
    JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = ev.geografia_id
    JOIN {{ ref('dim_empresa') }} d
      ON d.empresa_id = COALESCE(NULLIF(ev.empresa_id, 'no_informada'), g.empresa_principal,
                                 'no_informada')
    LEFT JOIN reg ON reg.cut_region = g.cut_region
    LEFT JOIN pop ON pop.cut_region = g.cut_region
    WHERE NOT g.is_unknown
    GROUP BY g.nombre_region, g.nombre_comuna, d.nombre_empresa
)
SELECT nombre_region, nombre_comuna, nombre_empresa,
       CAST(total_afectados AS BIGINT) AS total_afectados,
       CAST(frecuencia AS BIGINT) AS frecuencia,
       ROUND(CAST(100 * PERCENT_RANK() OVER (ORDER BY COALESCE(hours_per_customer, 0)) AS NUMERIC), 1)
         AS instability_index
FROM base
ORDER BY instability_index DESC, total_afectados DESC, nombre_comuna, nombre_empresa

-- eda_projects_dist: energy-sector SEIA projects (every status) per region, most first.
-- The official region name comes from silver.dim_geografia; projects without a region are
-- counted too, as 'Interregional' or 'Región no resuelta' (the reader could not resolve it).
WITH regions AS (
    SELECT DISTINCT cut_region, nombre_region FROM {{ ref('dim_geografia') }} WHERE cut_region > 0
),
labelled AS (
    SELECT COALESCE(
               r.nombre_region,
               CASE
                   WHEN p.interregional THEN 'Interregional'
                   WHEN p.cut_region IS NULL THEN 'Región no resuelta'
                   ELSE 'Región ' || CAST(p.cut_region AS TEXT)
               END
           ) AS nombre_region
    FROM {{ ref('seia_projects') }} p
    LEFT JOIN regions r ON r.cut_region = p.cut_region
)
SELECT nombre_region, CAST(COUNT(*) AS BIGINT) AS "count"
FROM labelled
GROUP BY nombre_region
ORDER BY "count" DESC, nombre_region

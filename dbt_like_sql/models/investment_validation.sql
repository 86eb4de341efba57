-- investment_validation, the numbers (sec_assets.gold.investment adds delta and context): per
-- 'Aprobado' energy project with an operation date (operation_proxy), its region's outage
-- hours per customer summed over the 12 calendar months before the month of operation_proxy
-- and over the 12 months after it (that month itself is left out), and how many months of
-- each window the history covers. A month of a region counts when silver.snapshot_ledger holds
-- it with at least 90 % valid hours (ok or empty) and silver.region_customers has the region's
-- customers for it; its value is the customer-hours of the region's episodes that started in
-- that month (fact_eventos.month) / those customers. Month indexes are year * 12 + month.
-- Only months whose blocking checks passed count ({{ ref() }} of a monthly table:
-- sec_assets.gold.refs).
WITH ledger AS (
    SELECT month
    FROM {{ ref('snapshot_ledger') }} sl
    GROUP BY month
    HAVING SUM(CASE WHEN status IN ('ok', 'empty') THEN 1 ELSE 0 END) >= 0.9 * COUNT(*)
),
hours AS (
    SELECT g.cut_region, e.month, SUM(e.customer_hours) AS customer_hours
    FROM {{ ref('fact_eventos') }} e
    JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
    WHERE g.cut_region > 0
    GROUP BY g.cut_region, e.month
),
monthly AS (
    SELECT rc.cut_region,
           CAST(SUBSTR(rc.month, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR(rc.month, 6, 2) AS INTEGER)
             AS m,
           CAST(COALESCE(h.customer_hours, 0) AS DOUBLE PRECISION) / rc.customers
             AS hours_per_customer
    FROM {{ ref('region_customers') }} rc
    JOIN ledger l ON l.month = rc.month
    LEFT JOIN hours h ON h.cut_region = rc.cut_region AND h.month = rc.month
    WHERE rc.customers > 0
),
projects AS (
    SELECT p.project_id, p.project, p.tipo, p.tipologia, p.cut_region, p.nombre_region_raw,
           p.interregional, p.operation_proxy,
           CAST(EXTRACT(YEAR FROM p.operation_proxy) AS INTEGER) * 12
             + CAST(EXTRACT(MONTH FROM p.operation_proxy) AS INTEGER) AS m
    FROM {{ ref('seia_projects') }} p
    WHERE p.status = 'Aprobado' AND p.operation_proxy IS NOT NULL
),
regions AS (
    SELECT DISTINCT cut_region, nombre_region FROM {{ ref('dim_geografia') }} WHERE cut_region > 0
)
SELECT p.project,
       CAST(EXTRACT(YEAR FROM p.operation_proxy) AS INTEGER) AS year,
       COALESCE(p.tipologia, p.tipo, '') AS type,
       p.operation_proxy,
       r.nombre_region,
       p.nombre_region_raw,
       p.interregional,
       CAST(COUNT(CASE WHEN w.m < p.m THEN 1 END) AS INTEGER) AS months_before,
       CAST(COUNT(CASE WHEN w.m > p.m THEN 1 END) AS INTEGER) AS months_after,
       SUM(CASE WHEN w.m < p.m THEN w.hours_per_customer END) AS hours_before,
       SUM(CASE WHEN w.m > p.m THEN w.hours_per_customer END) AS hours_after
FROM projects p
LEFT JOIN regions r ON r.cut_region = p.cut_region
LEFT JOIN monthly w
  ON w.cut_region = p.cut_region AND w.m BETWEEN p.m - 12 AND p.m + 12 AND w.m <> p.m
GROUP BY p.project_id, p.project, p.tipo, p.tipologia, p.operation_proxy, r.nombre_region,
         p.nombre_region_raw, p.interregional
ORDER BY p.operation_proxy, p.project, p.project_id

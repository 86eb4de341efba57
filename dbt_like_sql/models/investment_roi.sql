-- investment_roi: per official region, the outages of a year against the energy investment the
-- SEIA approved there. A ratio per year, so that it means the same whatever span is loaded.
-- covered             = the checked months, each from its first day to the day of its newest
--                       ledger hour (a closed month: all its days; the open month: so far);
-- clientes_afectados  = customers affected a year: SUM(fact_eventos.peak_customers) of the
--                       region's episodes * 365.25 / covered days, rounded; episodes and days
--                       of the months sampled at the history's finest cadence only (a sparser
--                       month misses short outages: docs/cadence.md; data_coverage names it);
-- total_inversión_mmu = SUM(investment_mmusd) of its 'Aprobado' energy projects (MMUSD);
-- efficiency_ratio    = customers affected a year per million USD approved: clientes_afectados
--                       (unrounded) / total_inversión_mmu (the dashboard's "Clientes / M$ USD");
--                       NULL without approved investment or without any checked month of history
--                       (sec_assets.gold.investment leaves such rows out and data_coverage lists
--                       them).
-- Only months whose blocking checks passed count ({{ ref() }} of a monthly table:
-- sec_assets.gold.refs).
-- maturity_note       = of the approved projects with an operation date (operation_proxy),
--                       how many entered operation at least 12 months before the last month of
--                       the outage history (silver.snapshot_ledger) — a full year after them to
--                       look at — how many are too recent, and how many also have 12 months of
--                       history before them (what investment_validation can evaluate).
-- Month indexes are year * 12 + month. Interregional and unresolved projects have no region:
-- they are left out here (eda_projects_dist counts them).
WITH regions AS (
    SELECT DISTINCT cut_region, nombre_region FROM {{ ref('dim_geografia') }} WHERE cut_region > 0
),
ev AS (
    SELECT g.cut_region,
           SUM(e.peak_customers) AS clientes_afectados
    FROM {{ ref('fact_eventos', cadence='finest') }} e
    JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
    WHERE g.cut_region > 0
    GROUP BY g.cut_region
),
cust AS (
    SELECT cut_region, AVG(customers) AS customers
    FROM {{ ref('region_customers') }} rc
    GROUP BY cut_region
),
covered AS (
    SELECT SUM(d) AS days, COUNT(*) AS months
    FROM (
        SELECT month, CAST(EXTRACT(DAY FROM MAX(hora_local)) AS INTEGER) AS d
        FROM {{ ref('snapshot_ledger', cadence='finest') }} sl
        GROUP BY month
    ) m
),
history AS (
    SELECT MIN(month) AS first_month,
           MAX(month) AS last_month,
           MIN(CAST(SUBSTR(month, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR(month, 6, 2) AS INTEGER))
             AS first_m,
           MAX(CAST(SUBSTR(month, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR(month, 6, 2) AS INTEGER))
             AS last_m
    FROM {{ ref('snapshot_ledger') }} sl
),
approved AS (
    SELECT p.cut_region, p.investment_mmusd, p.operation_proxy,
           CAST(EXTRACT(YEAR FROM p.operation_proxy) AS INTEGER) * 12
             + CAST(EXTRACT(MONTH FROM p.operation_proxy) AS INTEGER) AS m
    FROM {{ ref('seia_projects') }} p
    WHERE p.status = 'Aprobado' AND p.cut_region IS NOT NULL
),
proj AS (
    SELECT a.cut_region,
           SUM(a.investment_mmusd) AS inversion,
           COUNT(a.operation_proxy) AS operating,
           SUM(CASE WHEN a.m + 12 <= h.last_m THEN 1 ELSE 0 END) AS mature,
           SUM(CASE WHEN a.m + 12 <= h.last_m AND a.m - 12 >= h.first_m THEN 1 ELSE 0 END)
             AS evaluable
    FROM approved a
    CROSS JOIN history h
    GROUP BY a.cut_region
)
SELECT r.nombre_region,
       CAST(ROUND(COALESCE(ev.clientes_afectados, 0) * 365.25 / cv.days) AS BIGINT)
         AS clientes_afectados,
       CAST(COALESCE(proj.inversion, 0) AS DOUBLE PRECISION) AS "total_inversión_mmu",
       CASE
           WHEN proj.inversion > 0 AND cv.days > 0
           THEN CAST(COALESCE(ev.clientes_afectados, 0) AS DOUBLE PRECISION) * 365.25 / cv.days
                / proj.inversion
       END AS efficiency_ratio,
       (CASE
           WHEN COALESCE(proj.operating, 0) = 0
           THEN 'no approved energy project with an operation date'
           WHEN h.last_month IS NULL
           THEN CAST(proj.operating AS TEXT) || ' approved project(s); no outage history loaded'
           ELSE CAST(proj.mature AS TEXT) || ' of ' || CAST(proj.operating AS TEXT)
                || ' approved project(s) entered operation ≥ 12 months before the end of the'
                || ' outage history (' || h.last_month || '), '
                || CAST(proj.operating - proj.mature AS TEXT) || ' too recent to evaluate; '
                || CAST(proj.evaluable AS TEXT) || ' with 12 months of history on each side'
                || ' (history ' || h.first_month || ' to ' || h.last_month || ')'
       END) || CASE
           WHEN cv.days > 0
           THEN '; customers affected a year from ' || CAST(cv.days AS TEXT) || ' days of '
                || CAST(cv.months AS TEXT) || ' checked month(s)'
           ELSE ''
       END AS maturity_note
FROM regions r
CROSS JOIN history h
CROSS JOIN covered cv
LEFT JOIN ev ON ev.cut_region = r.cut_region
LEFT JOIN cust ON cust.cut_region = r.cut_region
LEFT JOIN proj ON proj.cut_region = r.cut_region
ORDER BY "total_inversión_mmu" DESC, r.nombre_region

-- Per region and day: customer-hours observed in valid hours, scaled to 24 h by the day's valid
-- hours (so sampled or partly missing days are comparable). Input of reliability_indices.
-- The customers of the day's valid ('ok') hours come already summed per day and comuna
-- (silver.comuna_daily_customers, written with each month's facts): this reads a row per day
-- and comuna, not every hourly fact of the history.
WITH ok_hours AS (
    SELECT CAST(hora_local AS DATE) AS dia, COUNT(*) AS ok_hours
    FROM {{ ref('snapshot_ledger') }} sl WHERE status = 'ok' GROUP BY CAST(hora_local AS DATE)
),
observed AS (
    SELECT g.cut_region, c.dia, SUM(c.customers_sum) AS customers_sum
    FROM {{ ref('comuna_daily_customers') }} c
    JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = c.geografia_id
    WHERE g.cut_region > 0
    GROUP BY g.cut_region, c.dia
)
SELECT o.cut_region, o.dia,
       CAST(o.customers_sum AS DOUBLE PRECISION) * 24 / h.ok_hours AS customer_hours
FROM observed o JOIN ok_hours h ON h.dia = o.dia
ORDER BY o.cut_region, o.dia

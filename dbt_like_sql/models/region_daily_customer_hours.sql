-- Per region and day: customer-hours observed in valid hours, scaled to 24 h by the day's valid
-- hours (so sampled or partly missing days are comparable). Input of reliability_indices.
WITH ok_hours AS (
    SELECT CAST(hora_local AS DATE) AS dia, COUNT(*) AS ok_hours
    FROM {{ ref('snapshot_ledger') }} sl WHERE status = 'ok' GROUP BY CAST(hora_local AS DATE)
),
observed AS (
    SELECT g.cut_region, CAST(f.hora_local AS DATE) AS dia,
           SUM(f.clientes_afectados) AS customers_sum
    FROM {{ ref('fact_interrupciones') }} f
    JOIN {{ ref('snapshot_ledger') }} l ON l.hour_key = f.hour_key AND l.status = 'ok'
    JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = f.geografia_id
    WHERE g.cut_region > 0
    GROUP BY g.cut_region, CAST(f.hora_local AS DATE)
)
SELECT o.cut_region, o.dia,
       CAST(o.customers_sum AS DOUBLE PRECISION) * 24 / h.ok_hours AS customer_hours
FROM observed o JOIN ok_hours h ON h.dia = o.dia
ORDER BY o.cut_region, o.dia

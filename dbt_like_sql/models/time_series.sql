-- time_series: per month (first day) and region, the customers affected: the sum of the peak
-- customers of the episodes that started that month. Only the months sampled at the history's
-- finest cadence: a sparser month misses short outages and would dip for how it was sampled,
-- not for what happened (docs/cadence.md); data_coverage names each month left out and why.
SELECT CAST(DATE_TRUNC('month', e.first_hour) AS DATE) AS mes,
       g.nombre_region,
       CAST(SUM(e.peak_customers) AS BIGINT) AS afectados
FROM {{ ref('fact_eventos', cadence='finest') }} e
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
WHERE g.cut_region > 0
GROUP BY CAST(DATE_TRUNC('month', e.first_hour) AS DATE), g.nombre_region
ORDER BY mes, g.nombre_region

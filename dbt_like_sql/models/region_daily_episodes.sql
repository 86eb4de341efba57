-- Per region and day: episodes that started that day and the sum of their peaks.
SELECT g.cut_region, CAST(e.first_hour AS DATE) AS dia,
       COUNT(*) AS episodes, SUM(e.peak_customers) AS peak_customers
FROM {{ ref('fact_eventos') }} e
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
WHERE g.cut_region > 0
GROUP BY g.cut_region, CAST(e.first_hour AS DATE)
ORDER BY g.cut_region, dia

-- company_ranking: the 15 companies with the most customers affected (sum of episode peaks).
-- Episodes of the current payload era, which reports no company, are attributed to the
-- comuna's main distributor (dim_geografia.empresa_principal). Sums of peaks count the months
-- sampled at the history's finest cadence only (docs/cadence.md; data_coverage names the rest).
SELECT d.nombre_empresa,
       COUNT(*) AS total_eventos,
       CAST(SUM(e.peak_customers) AS BIGINT) AS total_clientes_afectados,
       ROUND(CAST(AVG(e.peak_customers) AS NUMERIC), 2) AS promedio_afectados
FROM {{ ref('fact_eventos', cadence='finest') }} e
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
JOIN {{ ref('dim_empresa') }} d
  ON d.empresa_id = COALESCE(NULLIF(e.empresa_id, 'no_informada'), g.empresa_principal,
                             'no_informada')
WHERE NOT d.is_unknown
GROUP BY d.nombre_empresa
ORDER BY total_clientes_afectados DESC, d.nombre_empresa
LIMIT 15

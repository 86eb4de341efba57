-- The golden dataset: episodes that started in the months :first_month … :last_month, joined to
-- their dimensions; each month's file holds its rows in this order (a run of several months
-- reads them in one query: sec_assets/gold/golden.py).
SELECT e.evento_id, e.month, e.first_hour, e.last_hour, e.start_lower, e.start_upper,
       e.end_lower, e.end_upper, e.peak_customers, e.customer_hours, e.snapshots,
       e.gap_hours, e.censored_start, e.censored_end,
       g.cut_comuna, g.nombre_comuna, g.cut_provincia, g.cut_region, g.nombre_region,
       g.is_unknown AS comuna_unknown,
       e.empresa_id, d.nombre_empresa, t.fecha, t.anho, t.mes, t.dia_semana
FROM {{ ref('fact_eventos') }} e
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
JOIN {{ ref('dim_empresa') }} d ON d.empresa_id = e.empresa_id
JOIN {{ ref('dim_tiempo') }} t ON t.tiempo_id = e.tiempo_id
WHERE e.month BETWEEN :first_month AND :last_month
ORDER BY e.month, e.first_hour, e.evento_id

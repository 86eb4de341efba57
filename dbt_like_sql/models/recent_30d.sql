-- gold.recent_30d: episodes seen in the 30 days up to the newest hour loaded, with their names.
CREATE OR REPLACE VIEW gold.recent_30d AS
SELECT e.evento_id, e.first_hour, e.last_hour, e.peak_customers, e.customer_hours,
       e.censored_end, g.cut_comuna, g.nombre_comuna, g.nombre_region, d.nombre_empresa
FROM {{ ref('fact_eventos') }} e
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
JOIN {{ ref('dim_empresa') }} d ON d.empresa_id = e.empresa_id
WHERE e.last_hour
      >= (SELECT MAX(hora_local) FROM {{ ref('snapshot_ledger') }} sl) - INTERVAL '30 days'

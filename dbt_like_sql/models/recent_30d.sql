-- gold.recent_30d, a view: the one model that is a statement rather than a bare SELECT. The
-- recent_30d asset runs this file to (re)create the view; readers query gold.recent_30d. It
-- lists the episodes whose last hour falls within the 30 days before the newest hour of the
-- ledger, with comuna, region and company names. Its refs render to subqueries on
-- silver.month_checks, so each read of the view sees only the months whose blocking checks
-- pass at that moment.
CREATE OR REPLACE VIEW gold.recent_30d AS
SELECT e.evento_id, e.first_hour, e.last_hour, e.peak_customers, e.customer_hours,
       e.censored_end, g.cut_comuna, g.nombre_comuna, g.nombre_region, d.nombre_empresa
FROM {{ ref('fact_eventos') }} e
JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
JOIN {{ ref('dim_empresa') }} d ON d.empresa_id = e.empresa_id
WHERE e.last_hour
      >= (SELECT MAX(hora_local) FROM {{ ref('snapshot_ledger') }} sl) - INTERVAL '30 days'

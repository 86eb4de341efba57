-- silver.comuna_daily_customers is new: a warehouse that holds months loaded before it gets it
-- filled from its facts and ledger, once, when ensure_schema creates the table (a fill runs only
-- then: never again, and never on a fresh warehouse's first months, which write it themselves).
-- The same fold as silver/transform.py's daily_customers.
INSERT INTO silver.comuna_daily_customers (month, dia, geografia_id, customers_sum)
SELECT f.month, CAST(f.hora_local AS DATE) AS dia, f.geografia_id,
       SUM(f.clientes_afectados) AS customers_sum
FROM silver.fact_interrupciones f
JOIN silver.snapshot_ledger l ON l.hour_key = f.hour_key AND l.status = 'ok'
GROUP BY f.month, CAST(f.hora_local AS DATE), f.geografia_id;

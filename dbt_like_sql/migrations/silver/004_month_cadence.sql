-- silver.month_cadence is new: a warehouse that holds months loaded before it gets it filled
-- from their ledgers, once, when ensure_schema creates the table. Those ledgers were expected at
-- the setting's cadence, the same every day: its samples a day are the hours of the day the
-- ledger lists; the source of their answers was not recorded.
INSERT INTO silver.month_cadence (month, source, hours_per_day, hours_represented, days, hours)
SELECT month, 'unrecorded', CAST(COUNT(DISTINCT EXTRACT(HOUR FROM hora_local)) AS INTEGER),
       24.0 / COUNT(DISTINCT EXTRACT(HOUR FROM hora_local)),
       CAST(COUNT(DISTINCT CAST(hora_local AS DATE)) AS INTEGER), CAST(COUNT(*) AS INTEGER)
FROM silver.snapshot_ledger
GROUP BY month;

-- eda_quality_stats: how much of the data each guardrail touched and how many hours had no
-- usable answer. Row guardrails are a share of the raw rows received; 'quarantined' and the
-- hours_* categories are a share of the hours expected.
WITH raw AS (SELECT COALESCE(SUM(rows_raw), 0) AS n FROM {{ ref('snapshot_ledger') }} sl),
     hours AS (SELECT COUNT(*) AS n FROM {{ ref('snapshot_ledger') }} sl),
     guard AS (
         SELECT guardrail, SUM(rows) AS count
         FROM {{ ref('guardrail_counts') }} gc
         GROUP BY guardrail
     ),
     statuses (status) AS (
         VALUES ('failed'), ('empty'), ('degraded'), ('schema_error'), ('wrong_date'), ('missing')
     ),
     ledger AS (
         SELECT s.status, COUNT(l.hour_key) AS count
         FROM statuses s LEFT JOIN {{ ref('snapshot_ledger') }} l ON l.status = s.status
         GROUP BY s.status
     )
SELECT guard.guardrail AS category,
       CAST(guard.count AS BIGINT) AS count,
       CASE WHEN guard.guardrail = 'quarantined'
            THEN CAST(guard.count AS DOUBLE PRECISION) / NULLIF(hours.n, 0)
            ELSE CAST(guard.count AS DOUBLE PRECISION) / NULLIF(raw.n, 0) END AS percentage
FROM guard, raw, hours
UNION ALL
SELECT 'hours_' || ledger.status AS category,
       CAST(ledger.count AS BIGINT) AS count,
       CAST(ledger.count AS DOUBLE PRECISION) / NULLIF(hours.n, 0) AS percentage
FROM ledger, hours
ORDER BY category

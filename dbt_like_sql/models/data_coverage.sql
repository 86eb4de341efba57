-- data_coverage: per month, the hours expected and what became of them; revisions seen are the
-- valid answers stored beyond the first for an hour.
SELECT month,
       COUNT(*) AS hours_expected,
       SUM(CASE WHEN status = 'ok' THEN 1 ELSE 0 END) AS ok,
       SUM(CASE WHEN status = 'empty' THEN 1 ELSE 0 END) AS empty,
       SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
       SUM(CASE WHEN status = 'degraded' THEN 1 ELSE 0 END) AS degraded,
       SUM(CASE WHEN status = 'schema_error' THEN 1 ELSE 0 END) AS schema_error,
       SUM(CASE WHEN status = 'missing' THEN 1 ELSE 0 END) AS missing,
       SUM(CASE WHEN versions > 1 THEN versions - 1 ELSE 0 END) AS revisions_seen
FROM {{ ref('snapshot_ledger', months='all') }}
GROUP BY month
ORDER BY month

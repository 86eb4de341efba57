-- data_coverage: per month, the hours expected and what became of them; revisions seen are the
-- valid answers stored beyond the first for an hour. customers_as_of / customers_source: the
-- customer counts the month's facts were capped by (silver.customer_caps: the month's own, else
-- the nearest earlier month's, else the seed's reference counts); customers_own_month is true
-- only when they are the SEC's answer for that very month.
WITH ledger AS (
    SELECT month,
           COUNT(*) AS hours_expected,
           SUM(CASE WHEN status = 'ok' THEN 1 ELSE 0 END) AS ok,
           SUM(CASE WHEN status = 'empty' THEN 1 ELSE 0 END) AS empty,
           SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
           SUM(CASE WHEN status = 'degraded' THEN 1 ELSE 0 END) AS degraded,
           SUM(CASE WHEN status = 'schema_error' THEN 1 ELSE 0 END) AS schema_error,
           SUM(CASE WHEN status = 'wrong_date' THEN 1 ELSE 0 END) AS wrong_date,
           SUM(CASE WHEN status = 'missing' THEN 1 ELSE 0 END) AS missing,
           SUM(CASE WHEN versions > 1 THEN versions - 1 ELSE 0 END) AS revisions_seen
    FROM {{ ref('snapshot_ledger', months='all') }}
    GROUP BY month
),
caps AS (
    SELECT month,
           MIN(as_of) AS customers_as_of,
           CASE WHEN MIN(source) = MAX(source) THEN MIN(source) ELSE 'mixed' END
               AS customers_source,
           MIN(CASE WHEN as_of = month AND source = 'sec' THEN 1 ELSE 0 END) = 1
               AS customers_own_month
    FROM {{ ref('customer_caps', months='all') }}
    GROUP BY month
)
SELECT l.*, c.customers_as_of, c.customers_source,
       COALESCE(c.customers_own_month, FALSE) AS customers_own_month
FROM ledger l
LEFT JOIN caps c ON c.month = l.month
ORDER BY l.month

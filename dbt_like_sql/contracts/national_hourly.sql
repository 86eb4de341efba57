-- National customers without power per local hour, from two independent sources:
-- 'getporfecha_sum' — the sum of the hour's GetPorFecha rows (snapshot_ledger, usable hours);
-- 'get'             — the service's own national series (Get, newest answer listing the hour).
-- The check national_series_agrees_with_hourly_sums compares them hour by hour.
CREATE TABLE IF NOT EXISTS silver.national_hourly (
    hour_key    TEXT NOT NULL,              -- 'YYYY-MM-DDTHH', Chile local wall clock
    month       TEXT NOT NULL,              -- 'YYYY-MM', the partition
    source      TEXT NOT NULL CHECK (source IN ('getporfecha_sum', 'get')),
    customers   BIGINT NOT NULL,
    fetched_at  TIMESTAMPTZ,                -- of the answer the figure comes from
    PRIMARY KEY (hour_key, source)
);

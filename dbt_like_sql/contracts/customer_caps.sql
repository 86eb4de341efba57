-- The region customers each month's facts were capped by, written with the month's facts
-- (silver/caps.py): per region, the SEC's count of the month, else of the nearest earlier month,
-- else the reference count of seeds/regions.csv. customers_within_region_total checks against
-- these.
CREATE TABLE IF NOT EXISTS silver.customer_caps (
    month       TEXT NOT NULL,       -- the month capped
    cut_region  INTEGER NOT NULL,
    customers   BIGINT NOT NULL,
    as_of       TEXT NOT NULL,       -- YYYY-MM of the region_customers used; the seed's version month for the reference counts
    source      TEXT NOT NULL,       -- 'sec' (GetClientesRegional of as_of) or 'seed' (regions.csv)
    PRIMARY KEY (month, cut_region)
);

-- The region customers each month's facts were capped by, written with the month's facts
-- (silver/caps.py): the month's own region_customers, else the nearest earlier month's, else the
-- reference counts of seeds/regions.csv. customers_within_region_total checks against these.
CREATE TABLE IF NOT EXISTS silver.customer_caps (
    month       TEXT NOT NULL,       -- the month capped
    cut_region  INTEGER NOT NULL,
    customers   BIGINT NOT NULL,
    as_of       TEXT NOT NULL,       -- YYYY-MM of the region_customers used; the seed's version month for the reference counts
    source      TEXT NOT NULL,       -- 'sec' (GetClientesRegional of as_of) or 'seed' (regions.csv)
    PRIMARY KEY (month, cut_region)
);

-- Customers per region and month (the denominators), from bronze sec_customers.
CREATE TABLE IF NOT EXISTS silver.region_customers (
    month        TEXT NOT NULL,
    cut_region   INTEGER NOT NULL,
    customers    BIGINT NOT NULL,
    source       TEXT NOT NULL,          -- 'sec' (GetClientesRegional) or 'seed' (fallback)
    fetched_at   TIMESTAMPTZ,
    PRIMARY KEY (month, cut_region)
);

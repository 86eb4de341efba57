-- Day grain, for gold: per day and comuna, the customers affected summed over the day's valid
-- hours (ledger status 'ok'), all companies together. It is fact_interrupciones folded to a
-- row per (dia, geografia_id) — a tenth of its rows or less — so that gold's daily indices read
-- this instead of every hourly fact of the history (region_daily_customer_hours). Built from
-- the month's frames (silver/transform.py) and written with them, in the transaction of the
-- month's observations; dbt_like_sql/migrations/silver/002_comuna_daily_customers.sql fills it
-- once, set-based, in a warehouse created before it.
--
-- Stored a table per month, as fact_interrupciones (sec_assets/warehouse/partitions.py): a
-- month's rows are bulk-loaded apart and their foreign key checked by one set-based query, not
-- a trigger per row (Postgres), nor merged into a key index over the whole history (DuckDB).
-- The CHECK ties month to dia, so Postgres' wider key (dia, geografia_id, month) is as strict
-- as the declared one. A warehouse that holds it as one table gets its rows moved over once.
-- storage duckdb: per_month
-- storage postgres: PARTITION BY LIST (month)
CREATE TABLE IF NOT EXISTS silver.comuna_daily_customers (
    month          TEXT NOT NULL,          -- month of dia (the owner, as in fact_interrupciones)
    dia            DATE NOT NULL,
    geografia_id   INTEGER NOT NULL REFERENCES silver.dim_geografia (geografia_id),
    customers_sum  BIGINT NOT NULL,        -- SUM(clientes_afectados) over the day's 'ok' hours
    PRIMARY KEY (dia, geografia_id),
    CHECK (month = substr(CAST(dia AS TEXT), 1, 7))
);

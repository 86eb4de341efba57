-- How each month was sampled, read from the data (sec_assets/silver/cadence.py): one row per
-- month, source and grid of its expected hours. source: fetched (answers from the service) |
-- imported (the seed's archives) | none (expected hours bronze holds nothing for) |
-- unrecorded (months loaded before this table: dbt_like_sql/migrations/silver/004_month_cadence.sql).
-- Written with the month's observations, in their transaction. Gold reads it to say each
-- month's cadence and to keep sums of episode peaks to the months of one cadence
-- (docs/cadence.md).
CREATE TABLE IF NOT EXISTS silver.month_cadence (
    month              TEXT NOT NULL,
    source             TEXT NOT NULL,
    hours_per_day      INTEGER NOT NULL,           -- samples a day of the days sampled this way
    hours_represented  DOUBLE PRECISION NOT NULL,  -- hours each sample stands for (median)
    days               INTEGER NOT NULL,           -- days with hours of this source and grid
    hours              INTEGER NOT NULL,           -- expected hours of this source and grid
    PRIMARY KEY (month, source, hours_per_day)
);

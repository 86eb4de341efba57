-- The latest verdict of each asset check on each month (one row per month and check). The
-- silver assets write it in their own step right after storing a month (or a range of months):
-- sec_assets.silver.checks.check_results → sec_assets.silver.month_checks.record_verdicts,
-- one replace of the asset's verdicts on those months. Gold counts a month only when every
-- blocking check has a row here and all of them passed (sec_assets.gold.trusted);
-- data_coverage lists the other months with the reason.
CREATE TABLE IF NOT EXISTS silver.month_checks (
    month         TEXT NOT NULL,
    check_name    TEXT NOT NULL,
    asset         TEXT NOT NULL,
    blocking      BOOLEAN NOT NULL,
    passed        BOOLEAN NOT NULL,
    failing_rows  BIGINT NOT NULL,
    evaluated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (month, check_name)
);

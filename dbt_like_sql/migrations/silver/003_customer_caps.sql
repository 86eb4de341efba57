-- silver.customer_caps is new: in a warehouse holding months loaded before it, those months
-- were capped by their own region_customers (when they had any), so it is filled from them,
-- once, when ensure_schema creates the table. A month loaded without counts gets no row and
-- its customers_within_region_total fails for want of them until the month is reloaded.
INSERT INTO silver.customer_caps (month, cut_region, customers, as_of, source)
SELECT rc.month, rc.cut_region, rc.customers, rc.month AS as_of, rc.source
FROM silver.region_customers rc
WHERE rc.month IN (SELECT DISTINCT month FROM silver.snapshot_ledger);

"""A warehouse from before ``silver.customer_caps`` gets it filled once, from the months it
holds that had region customers (they were capped by them); a month loaded without counts gets
no row, so its cap check fails for want of them instead of passing. On both engines."""

from __future__ import annotations

import polars as pl

from sec_assets.silver.checks import CHECKS, evaluate_check
from sec_assets.silver.customers import SCHEMA
from sec_assets.warehouse import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES


def test_a_warehouse_from_before_the_caps_gets_them_filled_once(seeded: Warehouse) -> None:
    counts = pl.DataFrame(
        {"month": ["2024-01"] * 2, "cut_region": [13, 5], "customers": [2_900_000, 780_563]},
    ).with_columns(source=pl.lit("sec"), fetched_at=None)
    steps = [ReplaceStep("region_customers", counts.cast(pl.Schema(SCHEMA)), {"month": "2024-01"})]
    for month in ("2024-01", "2024-02"):
        steps.append(
            ReplaceStep("snapshot_ledger", support.ledger(month, hours=4), {"month": month})
        )
        steps.append(
            ReplaceStep("fact_interrupciones", support.facts(month, hours=4), {"month": month})
        )
    seeded.replace_many(steps)
    seeded.execute("DROP TABLE silver.customer_caps")
    seeded.ensure_schema()
    caps = seeded.read("SELECT * FROM silver.customer_caps ORDER BY cut_region")
    assert caps.select("month", "cut_region", "as_of", "source").rows() == [
        ("2024-01", 5, "2024-01", "sec"),
        ("2024-01", 13, "2024-01", "sec"),
    ]
    seeded.ensure_schema()  # the table exists now: no second fill
    assert seeded.read("SELECT COUNT(*) AS n FROM silver.customer_caps")["n"].item() == 2
    check = next(c for c in CHECKS if c.name == "customers_within_region_total")
    result, _ = evaluate_check(check, seeded, "2024-02", 0.95)
    assert not result.passed and result.metadata["rows_examined"].value == 0

"""The customer counts a month is capped by (``silver.customer_caps``), on both engines: per
region, the latest SEC count not after the month, else the reference count; a warehouse from
before the table gets it filled once, from the months it holds that had region customers, and a
month loaded without counts gets no row, so its cap check fails instead of passing."""

from __future__ import annotations

import polars as pl

from sec_assets.month import Month
from sec_assets.silver.caps import SEED_AS_OF, read_caps
from sec_assets.silver.checks import CHECKS, evaluate_check
from sec_assets.silver.customers import schema
from sec_assets.warehouse import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES


def test_a_warehouse_from_before_the_caps_gets_them_filled_once(seeded: Warehouse) -> None:
    counts = pl.DataFrame(
        {"month": ["2024-01"] * 2, "cut_region": [13, 5], "customers": [2_900_000, 780_563]},
    ).with_columns(source=pl.lit("sec"), fetched_at=None)
    counts = counts.cast(pl.Schema(schema()))
    steps = [ReplaceStep("region_customers", counts, {"month": "2024-01"})]
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


def test_a_region_the_service_did_not_answer_takes_its_latest_sec_count(seeded: Warehouse):
    """July's Metropolitana is the seed's estimate (the service did not answer it): its cap is
    June's SEC count; Valparaíso's is July's own; a region never answered takes the reference
    count; a month before any count takes the reference counts everywhere."""
    rows = [
        ("2024-06", 13, 2_800_000, "sec"),
        ("2024-06", 5, 770_000, "sec"),
        ("2024-07", 13, 2_900_000, "seed"),
        ("2024-07", 5, 780_000, "sec"),
    ]
    frame = pl.DataFrame(rows, schema=["month", "cut_region", "customers", "source"], orient="row")
    frame = frame.with_columns(fetched_at=None).cast(pl.Schema(schema()))
    seeded.replace_many(
        [
            ReplaceStep("region_customers", frame.filter(pl.col("month") == m), {"month": m})
            for m in ("2024-06", "2024-07")
        ]
    )
    caps = read_caps(seeded, [Month(2024, 5), Month(2024, 7)])
    july = {r["cut_region"]: r for r in caps[Month(2024, 7)].to_dicts()}
    assert (july[13]["customers"], july[13]["as_of"], july[13]["source"]) == (
        2_800_000,
        "2024-06",
        "sec",
    )
    assert (july[5]["customers"], july[5]["as_of"]) == (780_000, "2024-07")
    assert (july[1]["as_of"], july[1]["source"]) == (SEED_AS_OF, "seed") and len(july) == 16
    assert set(caps[Month(2024, 5)]["source"]) == {"seed"}

"""silver.month_cadence in a warehouse that holds months loaded before the table existed: filled
once from their ledgers (dbt_like_sql/migrations/silver/004_month_cadence.sql), each month at the
hours of the day its ledger lists, its source unrecorded. Both engines."""

from __future__ import annotations

import polars as pl

from sec_assets.warehouse import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

READ = (
    "SELECT month, source, hours_per_day, hours_represented, days, hours "
    "FROM silver.month_cadence ORDER BY month"
)


def test_a_warehouse_from_before_the_table_gets_it_filled_from_its_ledgers(
    seeded: Warehouse,
) -> None:
    hourly = support.ledger("2024-01")
    sparse = support.ledger("2024-02").filter(pl.col("hora_local").dt.hour() % 6 == 0)
    for month, ledger in (("2024-01", hourly), ("2024-02", sparse)):
        seeded.replace_many([ReplaceStep("snapshot_ledger", ledger, where={"month": month})])
    seeded.execute("DROP TABLE silver.month_cadence")  # as if the warehouse predated it
    seeded.ensure_schema()
    expected = [
        ("2024-01", "unrecorded", 24, 1.0, 31, hourly.height),
        ("2024-02", "unrecorded", 4, 6.0, 29, 29 * 4),
    ]
    assert seeded.read(READ).rows() == expected
    seeded.ensure_schema()  # the table exists now: no second fill
    assert seeded.read(READ).rows() == expected

"""The national cross-check's SQL on both engines: hours within the tolerance pass, hours
beyond it are listed with both figures, hours only one source covers are not compared."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from sec_assets.silver.national import compare, schema
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

AT = datetime(2024, 8, 3, tzinfo=UTC)


def _rows(source: str, figures: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "hour_key": list(figures),
            "month": ["2024-08"] * len(figures),
            "source": [source] * len(figures),
            "customers": list(figures.values()),
            "fetched_at": [AT] * len(figures),
        },
        schema=schema(),
    )


def test_compare_flags_only_hours_beyond_tolerance(warehouse):
    sums = {
        "2024-08-02T10": 1_000_000,
        "2024-08-02T11": 10_000,
        "2024-08-02T12": 300,
        "2024-08-02T13": 5_000,
    }
    get = {
        "2024-08-02T10": 1_040_000,
        "2024-08-02T11": 16_000,
        "2024-08-02T12": 700,
        "2024-08-02T14": 9,
    }
    frame = pl.concat([_rows("getporfecha_sum", sums), _rows("get", get)])
    warehouse.replace_many([ReplaceStep("national_hourly", frame, where={"month": "2024-08"})])
    result = compare(warehouse, "2024-08")
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["hours_compared"].value == 3
    assert result.metadata["disagreeing_hours"].value == [
        {"hour": "2024-08-02T11", "getporfecha_sum": 10_000, "get": 16_000}
    ]
    assert result.metadata["rows_examined"].value == 3
    nothing = compare(warehouse, "2024-09")  # nothing to compare: warns, never passes
    assert not nothing.passed and nothing.severity == dg.AssetCheckSeverity.WARN
    assert nothing.metadata["rows_examined"].value == 0

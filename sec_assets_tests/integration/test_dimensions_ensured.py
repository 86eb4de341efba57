"""The monthly silver assets alone on a fresh warehouse, on both engines: what selecting by
partition launches (no dimension asset in the run). Each load writes the dimensions its rows
reference before it writes them, so no month fails with a foreign key violation on
``tiempo_id``; a load on a warehouse that holds them writes nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest

from sec_assets.silver.load import DIMENSIONS, ensure_dimensions
from sec_assets_tests.integration.test_silver_ranged import (  # noqa: F401 (fixtures)
    SILVER,
    _execute,
    _resources,
    bronze_dir,
    engine,
)

RANGE = {
    "dagster/asset_partition_range_start": "2024-08",
    "dagster/asset_partition_range_end": "2024-09",
}


def _written(result) -> list[list[str]]:
    """``dimensions_written`` of each ``snapshot_ledger`` materialization of the run (a ranged
    run reports it on each of its months)."""
    mats = result.asset_materializations_for_node("silver_observations")
    ledger = [m for m in mats if m.asset_key.to_user_string() == "snapshot_ledger"]
    return [sorted(m.metadata["dimensions_written"].value) for m in ledger]


def _counts(resources: dict) -> dict[str, int]:
    wh = resources["warehouse"].get_warehouse()
    return {
        name: int(wh.read(f"SELECT count(*) AS n FROM silver.{name}")["n"].item())
        for name in DIMENSIONS
    }


def test_monthly_runs_without_the_dimension_assets_succeed(
    engine: str,  # noqa: F811 (the fixture imported above)
    request: pytest.FixtureRequest,
    bronze_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    resources = _resources(engine, request, bronze_dir, tmp_path)
    single = _execute(SILVER, resources, None, key="2024-07")
    assert single.success, [e.message for e in single.all_events if e.is_failure]
    assert _written(single) == [sorted(DIMENSIONS)]
    expected = {name: build().height for name, (build, _) in DIMENSIONS.items()}
    assert _counts(resources) == expected

    ranged = _execute(SILVER, resources, RANGE)  # a backfill's ranged run: dimensions present
    assert ranged.success, [e.message for e in ranged.all_events if e.is_failure]
    assert _written(ranged) == [[], []]  # one per month; present: nothing written again
    assert _counts(resources) == expected
    wh = resources["warehouse"].get_warehouse()
    months = wh.read("SELECT DISTINCT month FROM silver.snapshot_ledger ORDER BY month")
    assert months["month"].to_list() == ["2024-07", "2024-08", "2024-09"]


def test_ranged_run_on_a_fresh_warehouse_writes_them_first(
    engine: str,  # noqa: F811 (the fixture imported above)
    request: pytest.FixtureRequest,
    bronze_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    resources = _resources(engine, request, bronze_dir, tmp_path)
    ranged = _execute(SILVER, resources, RANGE)
    assert ranged.success, [e.message for e in ranged.all_events if e.is_failure]
    assert _written(ranged) == [sorted(DIMENSIONS)] * 2  # the range's, on each month
    wh = resources["warehouse"].get_warehouse(writes=True)
    assert ensure_dimensions(wh) == []  # present: nothing written again
    # A calendar day no row references goes missing (as when the calendar grows): rewritten.
    wh.execute("DELETE FROM silver.dim_tiempo WHERE tiempo_id = 20301231")
    assert ensure_dimensions(wh) == ["dim_tiempo"]
    assert _counts(resources)["dim_tiempo"] == DIMENSIONS["dim_tiempo"][0]().height

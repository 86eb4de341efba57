"""A ranged run is as strong as its months: over 2024-05..08 with June's bronze poisoned (its
cold archive damaged on disk), the backfill's run loads, checks and builds the episodes of May,
July and August, reports June's checks as failed for want of rows, and fails naming June and
why. On both engines, through a ranged materialization as a backfill runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sec_assets.bronze.archive import archive_month
from sec_assets.gold.trusted import month_verdicts
from sec_assets.month import Month
from sec_assets_tests.integration.test_silver_ranged import (
    CLOCK,
    PER_DAY,
    SILVER,
    _execute,
    _resources,
)
from sec_assets_tests.integration.test_warehouse_support import ENGINES
from sec_tools.bench.genbronze import write_month

MONTHS = Month.range(Month(2024, 5), 4)
GOOD = ["2024-05", "2024-07", "2024-08"]
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four months of bronze from the simulator's answers; June archived, then damaged."""
    data = tmp_path_factory.mktemp("poisoned")
    for m in MONTHS:
        write_month(data / "bronze", m, 11, CLOCK, hours_per_day=PER_DAY)
    archive_month(data / "bronze", "sec_snapshots", "2024-06")
    [archive] = (data / "bronze" / "_archive" / "sec_snapshots").glob("month=2024-06*.tar.gz")
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    archive.write_bytes(bytes(raw))
    return data


@pytest.mark.parametrize("engine", ENGINES)
def test_a_month_that_cannot_be_parsed_fails_alone(engine, request, poisoned, tmp_path) -> None:
    res = _resources(engine, request, poisoned, tmp_path)
    assert _execute(DIMS, res, None).success
    tags = {
        "dagster/asset_partition_range_start": "2024-05",
        "dagster/asset_partition_range_end": "2024-08",
    }
    result = _execute(SILVER, res, tags)
    assert not result.success
    [failure] = [e for e in result.get_step_failure_events() if e.step_key == "silver_observations"]
    text = str(failure.step_failure_data.error)
    assert "2024-06" in text and "could not be parsed" in text and "Archive" in text
    for month in GOOD:
        assert month not in text

    wh = res["warehouse"].get_warehouse()

    def months(sql: str) -> list[str]:
        return sorted(wh.read(sql)["month"].to_list())

    assert months("SELECT DISTINCT month FROM silver.snapshot_ledger") == GOOD
    assert months("SELECT DISTINCT month FROM silver.fact_interrupciones") == GOOD
    assert months("SELECT DISTINCT month FROM silver.fact_eventos") == GOOD

    # each good month reported on its own partition; June not materialized
    materialized = {
        (e.asset_key.to_user_string(), e.partition)
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    for asset in ("snapshot_ledger", "fact_interrupciones", "fact_eventos"):
        got = sorted(p for a, p in materialized if a == asset)
        assert got == list(GOOD), asset

    # June's checks fail for want of rows (they examined none), the others' pass
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    june = [ev for ev in evaluations if ev.partition == "2024-06"]
    assert june and not any(ev.passed for ev in june)
    assert all(ev.metadata["rows_examined"].value == 0 for ev in june)
    blocking = [ev for ev in evaluations if ev.check_name != "no_degraded_or_empty_hours"]
    assert all(ev.passed for ev in blocking if ev.partition != "2024-06")

    # the good months' episode checks are kept: gold counts May, July and August
    verdicts = month_verdicts(wh)
    included = sorted(verdicts.filter(verdicts["included"])["month"].to_list())
    assert included == GOOD

"""Gold counts only months whose blocking checks passed (issue 9, item 2), walked through
Dagster the way a user runs it: two months materialized from the simulator, one of them with
faults that make its coverage check fail; then the gold refresh. The failed month's silver rows
are stored, but no payload, golden Parquet or recent_30d counts them, and data_coverage and the
gold assets' metadata list the month with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from sec_assets.bronze.store import BronzeStore
from sec_assets.gold import local_files
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.silver.load import load_observations
from sec_sim import FaultKind, FaultRule, SimConfig, run_simulator
from sec_tools.demo import GOLD, MONTHLY, UNPARTITIONED, run_selection

GOOD, BAD = "2024-07", "2024-08"
# 12 of the 124 sampled hours of 2024-08 fail (coverage 90% < 95%), spread out so that the
# circuit breaker never sees five failures in a row.
FAULTS = [FaultRule(kind=FaultKind.HTTP_500, hours=[f"{BAD}-{d:02d}T06" for d in range(1, 13)])]

pytestmark = pytest.mark.timeout(900)


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        if mat.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in mat.metadata.items()}
    raise AssertionError(f"{asset} not materialized")


def test_gold_leaves_out_a_month_whose_blocking_check_failed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with (
        dg.instance_for_test(temp_dir=str(tmp_path)) as instance,
        run_simulator(SimConfig(seed=42, faults=FAULTS)) as sim,
    ):
        resources = local_resources(
            data,
            base_url=sim.base_url,
            hours_per_day=4,
            min_month_coverage=0.5,
            max_concurrency=4,
            requests_per_second=500,
            max_attempts=2,
            read_timeout_s=60,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
        )
        assert run_selection(UNPARTITIONED, resources, instance).success
        months = {m: run_selection(MONTHLY, resources, instance, m) for m in (GOOD, BAD)}
        # As if an earlier, good run of the bad month had written its golden Parquet.
        stale = data / "gold/parquet/fact_eventos/year=2024/month=08/data.parquet"
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_bytes(b"PAR1")
        gold = run_selection(GOLD, resources, instance)
    failed = {c.check_name for c in months[BAD].get_asset_check_evaluations() if not c.passed}
    assert "month_coverage_above_threshold" in failed
    assert all(
        c.passed for c in months[GOOD].get_asset_check_evaluations() if c.severity.value == "ERROR"
    )
    assert gold.success

    series = local_files.read_payload(data, "time_series")
    assert {r["mes"][:7] for r in series} == {GOOD}
    reliability = local_files.read_payload(data, "reliability_indices")
    assert {r["mes"][:7] for r in reliability} == {GOOD}
    coverage = {
        r["key"]: r
        for r in local_files.read_payload(data, "data_coverage")
        if r["scope"] == "month"
    }
    assert coverage[GOOD]["included"] is True
    assert coverage[BAD]["included"] is False
    assert "month_coverage_above_threshold" in coverage[BAD]["reason"]
    for asset in ("time_series", "market_map", "recent_30d"):
        assert set(metadata(gold, asset)["excluded_months"]) == {BAD}, asset
    # The good month's golden Parquet exists; the bad month's (from an earlier run) is removed.
    assert (data / "gold/parquet/fact_eventos/year=2024/month=07/data.parquet").is_file()
    assert not stale.exists()
    assert metadata(gold, "recent_30d")["golden_files_removed"] == [BAD]

    # A reload forgets the month's verdicts in its own transaction: a run that reloads a month
    # and dies before its checks leaves it unchecked (out of gold), not with the old verdict.
    wh = local_resources(data)["warehouse"].get_warehouse()
    verdicts = "SELECT COUNT(*) AS n FROM silver.month_checks WHERE month = :month"
    assert wh.read(verdicts, {"month": GOOD})["n"].item() > 0
    load_observations(wh, BronzeStore(data / "bronze", "sec_snapshots"), Month(2024, 7))
    assert wh.read(verdicts, {"month": GOOD})["n"].item() == 0

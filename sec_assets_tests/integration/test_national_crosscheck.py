"""The national cross-check against the simulator: Get is fetched and stored in bronze like any
answer, silver.national_hourly holds both sources, and the check passes when they agree and
warns, naming the hours and both figures, when the simulator makes them disagree."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.store import BronzeStore, read_envelope
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_sim import FaultRule, SimConfig, run_simulator
from sec_sim.timeutil import chile_now
from sec_tools.demo import run_selection
from sec_tools.demo_history import CHECK, CROSSCHECK_ASSETS

DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
MONTH_ASSETS = CROSSCHECK_ASSETS  # what the demo cross-checks, the same selection


def _day():
    """A day within Get's window whose 06 and 12 hours have passed: three days ago."""
    return (chile_now() - timedelta(days=3)).date()


def _resources(base_url: str, data: Path) -> dict:
    return local_resources(
        data,
        base_url=base_url,
        hours_per_day=4,
        min_month_coverage=0.5,
        max_concurrency=8,
        requests_per_second=2000,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.02,
    )


def _crosscheck(tmp_path: Path, config: SimConfig, faults=(), assets=MONTH_ASSETS):
    partition = Month.containing(_day()).key
    data = tmp_path / "data"
    with run_simulator(config) as sim:
        sim.set_faults(list(faults))
        resources = _resources(sim.base_url, data)
        if "national_hourly" in assets:
            assert run_selection(DIMS, resources).success
        result = run_selection(assets, resources, partition=partition)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    return result, checks.get(CHECK), data


@pytest.mark.timeout(600)
def test_consistent_series_passes(tmp_path: Path):
    result, check, data = _crosscheck(tmp_path, SimConfig(seed=3))
    assert result.success and check is not None
    assert check.passed, check.description
    assert check.metadata["hours_compared"].value >= 4
    store = BronzeStore(data / "bronze", "sec_national")
    stored = [read_envelope(f.path) for f in store.files(Month.containing(_day()).label)]
    assert [d["outcome"] for d in stored] == ["ok"] and stored[0]["endpoint"] == "Get"


@pytest.mark.timeout(600)
def test_disagreement_warns_with_the_hours_and_both_figures(tmp_path: Path):
    day = _day().isoformat()
    hours = [f"{day}T06", f"{day}T12"]
    config = SimConfig(seed=3, series_disagree_hours=hours, series_disagree_factor=2.0)
    result, check, _ = _crosscheck(tmp_path, config)
    assert result.success and check is not None  # WARN: not blocking
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    rows = check.metadata["disagreeing_hours"].value
    assert [r["hour"] for r in rows] == hours
    for r in rows:
        assert r["get"] == pytest.approx(2 * r["getporfecha_sum"], abs=1)


@pytest.mark.timeout(600)
def test_unreadable_series_is_stored_and_fails_the_fetch(tmp_path: Path):
    faults = [FaultRule(kind="html", method="Get")]
    result, _, data = _crosscheck(tmp_path, SimConfig(seed=3), faults, ["sec_national_series"])
    assert not result.success
    store = BronzeStore(data / "bronze", "sec_national")
    outcomes = {f.outcome for f in store.files(Month.containing(_day()).label)}
    assert outcomes == {"invalid_body"}

"""Checks on a month with nothing to examine, through the user's path: July 2024 collected over
HTTP from the simulator with every hour answered 500. Its coverage check fails saying how many
hours were usable, its observation checks fail naming what they lacked (0 rows examined), and
its episode checks, run on the month with no episodes, fail saying so: none of them passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sec_assets.resources import local_resources
from sec_assets_tests.integration.test_warehouse_support import ENGINES
from sec_sim import FaultRule, SimConfig, run_simulator
from sec_tools.demo import run_selection

MONTH = "2024-07"
PER_DAY = 4
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]


@pytest.fixture(scope="module")
def bronze_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("unanswered")
    with run_simulator(SimConfig(seed=3, faults=[FaultRule(kind="http_500")])) as sim:
        res = local_resources(
            data,
            base_url=sim.base_url,
            hours_per_day=PER_DAY,
            max_concurrency=8,
            requests_per_second=2000,
            max_attempts=1,
            backoff_initial_s=0.01,
            backoff_max_s=0.02,
        )
        run_selection(["sec_snapshots", "sec_customers"], res, partition=MONTH)
    return data


@pytest.mark.parametrize("engine", ENGINES)
def test_a_month_with_no_answered_hour_passes_no_check(engine, request, bronze_dir, tmp_path):
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    res = {
        **local_resources(tmp_path, pg_dsn=dsn, base_url="http://127.0.0.1:9"),  # never called
        "bronze": local_resources(bronze_dir, hours_per_day=PER_DAY)["bronze"],
    }
    assert run_selection(DIMS, res).success
    silver = ["region_customers", "snapshot_ledger", "fact_interrupciones"]
    result = run_selection(silver, res, partition=MONTH)
    assert not result.success  # blocking checks failed
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    coverage = checks["month_coverage_above_threshold"]
    assert not coverage.passed and coverage.metadata["rows_examined"].value == 31 * PER_DAY
    assert "usable=0" in (coverage.description or "")
    for name in ("keys_and_measures_not_null", "hash_id_unique", "customers_within_region_total"):
        check = checks[name]
        assert not check.passed and check.metadata["rows_examined"].value == 0, name
        assert "needs the month's observations" in (check.description or ""), name

    episodes = run_selection(["fact_eventos"], res, partition=MONTH)
    assert not episodes.success
    evaluations = episodes.get_asset_check_evaluations()
    assert len(evaluations) == 3
    for check in evaluations:
        assert not check.passed and check.metadata["rows_examined"].value == 0
        assert "needs an episode starting in the month" in (check.description or "")

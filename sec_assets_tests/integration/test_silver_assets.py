"""Bronze → silver through Dagster on both engines, over real HTTP from the simulator with
injected faults; idempotent reloads; one episode across a month boundary whatever the order."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from sec_assets.resources import local_resources
from sec_assets_tests.cli import materialize
from sec_assets_tests.integration.test_warehouse_support import ENGINES
from sec_sim import FaultRule, SimConfig, run_simulator
from sec_tools.demo import run_selection

PER_DAY = 4  # hours 00, 06, 12, 18: keeps two months of bronze to 248 requests
MONTHS = ["2024-07", "2024-08"]
BRONZE = ["sec_snapshots", "sec_customers"]
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
SILVER = ["region_customers", "snapshot_ledger", "fact_interrupciones", "fact_eventos"]
FAULTS = [
    FaultRule(kind="degraded", hours=["2024-08-03T12"]),
    FaultRule(kind="http_500", hours=["2024-08-05T06"]),
    FaultRule(kind="drift_renamed_field", hours=["2024-08-06T18"]),
    FaultRule(kind="null_customers", hours=["2024-08-07T12"]),
    FaultRule(kind="unknown_names", hours=["2024-08-08T00"]),
    FaultRule(kind="empty", hours=["2024-08-09T06"]),
]


def run(selection: list[str], resources: dict, partition: str | None = None):
    return run_selection(selection, resources, partition=partition)


@pytest.fixture(scope="module")
def bronze_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """July and August 2024 of bronze, collected once over HTTP with faults injected."""
    data = tmp_path_factory.mktemp("bronze")
    with run_simulator(SimConfig(seed=11)) as sim:
        sim.set_faults(FAULTS)
        resources = local_resources(
            data,
            base_url=sim.base_url,
            hours_per_day=PER_DAY,
            max_concurrency=8,
            requests_per_second=2000,
            max_attempts=2,
            backoff_initial_s=0.01,
            backoff_max_s=0.02,
        )
        for month in MONTHS:
            assert run(BRONZE, resources, month).success
    return data


def silver_resources(engine: str, request: pytest.FixtureRequest, bronze_dir: Path, tmp_path: Path):
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    # The warehouse on tmp_path, bronze shared by the module: two storages.
    return {
        **local_resources(tmp_path, pg_dsn=dsn, base_url="http://127.0.0.1:9"),  # never called
        "bronze": local_resources(bronze_dir, hours_per_day=PER_DAY)["bronze"],
    }


def table(resources: dict, name: str, order: str) -> pl.DataFrame:
    wh = resources["warehouse"].get_warehouse()
    return wh.read(f"SELECT * FROM silver.{name} ORDER BY {order}")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def test_month_with_faults_loads_and_checks_pass(engine, request, bronze_dir, tmp_path) -> None:
    res = silver_resources(engine, request, bronze_dir, tmp_path)
    assert run(DIMS, res).success
    result = run(SILVER, res, "2024-08")
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert len(checks) == 9
    failing = {name for name, c in checks.items() if not c.passed}
    assert failing == {"no_degraded_or_empty_hours"}  # the WARN check reports them
    assert checks["no_degraded_or_empty_hours"].severity == dg.AssetCheckSeverity.WARN

    ledger = table(res, "snapshot_ledger", "hour_key")
    status = dict(ledger.select("hour_key", "status").iter_rows())
    assert len(status) == 31 * PER_DAY
    assert status["2024-08-03T12"] == "degraded"
    assert status["2024-08-05T06"] == "failed"  # no data, never zero
    assert status["2024-08-06T18"] == "schema_error"
    assert status["2024-08-09T06"] == "empty"
    assert ledger.filter(pl.col("status") == "failed")["customers"].item() == 0

    guard = dict(
        table(res, "guardrail_counts", "guardrail").select("guardrail", "rows").iter_rows()
    )
    assert guard["clientes_missing"] > 0 and guard["geo_unknown"] > 0 and guard["quarantined"] == 1
    quarantine = table(res, "quarantine", "hour_key")
    assert quarantine.select("hour_key", "reason").rows() == [("2024-08-06T18", "schema_error")]
    assert (
        "COMUNA" in quarantine["detail"].item()
        or "unknown row shape" in quarantine["detail"].item()
    )

    facts = table(res, "fact_interrupciones", "hash_id")
    assert facts.filter(pl.col("hour_key") == "2024-08-05T06").is_empty()
    assert facts["hash_id"].n_unique() == facts.height
    events = table(res, "fact_eventos", "evento_id")
    assert events.height > 100 and (events["peak_customers"] > 0).all()


def test_reloading_a_month_gives_identical_tables(engine, request, bronze_dir, tmp_path) -> None:
    res = silver_resources(engine, request, bronze_dir, tmp_path)
    assert run(DIMS, res).success
    assert run(SILVER, res, "2024-08").success
    orders = {
        "snapshot_ledger": "hour_key",
        "fact_interrupciones": "hash_id",
        "fact_eventos": "evento_id",
        "guardrail_counts": "guardrail",
    }
    first = {name: table(res, name, order) for name, order in orders.items()}
    assert run(SILVER, res, "2024-08").success
    for name, order in orders.items():
        assert table(res, name, order).equals(first[name]), name


def test_an_episode_across_months_is_one_episode(engine, request, bronze_dir, tmp_path) -> None:
    res = silver_resources(engine, request, bronze_dir, tmp_path)
    assert run(DIMS, res).success

    def load(months: list[str]) -> pl.DataFrame:
        for month in months:
            result = run(SILVER, res, month)
            assert result.success
            overlap = [
                c
                for c in result.get_asset_check_evaluations()
                if c.check_name == "episodes_do_not_overlap"
            ]
            assert overlap and overlap[0].passed
        return table(res, "fact_eventos", "evento_id")

    later_first = load(MONTHS[::-1])  # August before July: July's load extends episodes
    crossing = later_first.filter(
        (pl.col("first_hour").dt.month() == 7) & (pl.col("last_hour").dt.month() == 8)
    )
    assert crossing.height > 0 and (crossing["month"] == "2024-07").all()
    in_order = load(MONTHS)  # reloading in calendar order changes nothing
    assert in_order.equals(later_first)


def test_a_month_through_the_cli_uses_one_warehouse_connection(
    engine, request, bronze_dir, tmp_path
) -> None:
    """``dagster asset materialize`` of a month's silver steps, as a deployment runs it: the
    schema check and the three steps (and their checks) share the run's one warehouse
    connection, and the run says so; the month is stored whole."""
    res = silver_resources(engine, request, bronze_dir, tmp_path)
    assert run(DIMS, res).success
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEC_")},
        "DAGSTER_HOME": str(home),
        "SEC_DATA_DIR": str(tmp_path),
        "SEC_HOURS_PER_DAY": str(PER_DAY),
        "SEC_WAREHOUSE_IDLE_S": "600",  # however slow the machine is between two steps
        **({"SEC_PG_DSN": dsn} if dsn else {}),
    }
    shutil.copytree(bronze_dir / "bronze", tmp_path / "bronze")
    output = materialize(SILVER, env=env, partition="2024-08", timeout=600)
    # The schema is ensured on that connection (opened read-write by the run's first step,
    # which writes): DuckDB's file is opened once for the run. Postgres adds the episodes'
    # named lock, which holds a connection of its own.
    opened = 1 if engine == "duckdb" else 2
    assert (
        f"the run's kept connection was opened 1 time(s); connections opened in all: {opened}"
        in output
    ), output[-3000:]
    ledger = table(res, "snapshot_ledger", "hour_key")
    assert ledger.height == 31 * PER_DAY

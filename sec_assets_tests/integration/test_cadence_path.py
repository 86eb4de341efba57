"""A month's cadence is part of its data (issue 25, item 3), walked as a user runs it: July 2024
imported from a seed-format archive (4 points a day, the ``import_seed`` job) beside August 2024
fetched from the simulator over HTTP at 24 a day, both materialized bronze → silver → gold with
the one setting of 24 a day, on DuckDB and Postgres. Silver reads each month's cadence from its
bronze; July's customer-hours stand within the error measured for 4 a day of the simulator's
truth; data_coverage and reliability_indices say each month's cadence; time_series does not dip
for July: it leaves the month out and data_coverage names it with the reason."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from sec_assets.bronze.import_job import import_config, import_seed
from sec_assets.gold import local_files
from sec_assets.gold.cadence import ERROR, cadence_errors
from sec_assets.month import LABEL_FORMAT
from sec_assets.resources import local_resources
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.postgres_engine import PostgresWarehouse
from sec_sim import SimConfig, run_simulator, truth_hourly
from sec_sim.seed_archive import metadata_of, sim_points, write_archive
from sec_sim.service import SimService
from sec_tools.demo import GOLD, MONTHLY, UNPARTITIONED, run_selection

SEED = 42
SPARSE, HOURLY = "2024-07", "2024-08"
# July's silver and gold from the imported bronze alone: no fetch of the hours it lacks.
IMPORTED = [a for a in MONTHLY if a != "sec_snapshots"]

pytestmark = pytest.mark.timeout(1200)


def _archive(folder: Path) -> Path:
    points = list(sim_points(SimService(SimConfig(seed=SEED)), 2024, 7))
    path = folder / "checkpoint_2024.json"
    write_archive(path, points, metadata_of(points, 2024))
    return path


def _region_hours(wh, month: str) -> pl.DataFrame:
    return wh.read(
        "SELECT g.cut_region, SUM(e.customer_hours) AS reco FROM silver.fact_eventos e "
        "JOIN silver.dim_geografia g ON g.geografia_id = e.geografia_id "
        "WHERE e.month = :m AND g.cut_region > 0 GROUP BY g.cut_region",
        {"m": month},
    )


@pytest.fixture(params=["duckdb", "postgres"])
def history(request: pytest.FixtureRequest, tmp_path: Path):
    """Both months through Dagster; yields the data folder and the warehouse."""
    data = tmp_path / "data"
    pg = request.getfixturevalue("pg_database") if request.param == "postgres" else None
    folder = _archive(tmp_path).parent
    with (
        dg.instance_for_test(temp_dir=str(tmp_path)) as instance,
        run_simulator(SimConfig(seed=SEED)) as sim,
    ):
        resources = local_resources(
            data,
            base_url=sim.base_url,
            pg_dsn=pg,
            hours_per_day=24,
            max_concurrency=8,
            requests_per_second=2000,
            read_timeout_s=60,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
        )
        assert run_selection(UNPARTITIONED, resources, instance).success
        assert run_selection(MONTHLY, resources, instance, HOURLY).success
        imported = import_seed.execute_in_process(
            partition_key=SPARSE,
            resources=resources,
            instance=instance,
            run_config=import_config(folder),
            raise_on_error=False,
        )
        assert imported.success, _failures(imported)
        july = _run(IMPORTED, resources, instance, SPARSE)
        assert july.success, _failures(july)
        assert run_selection(GOLD, resources, instance).success
    wh = PostgresWarehouse(pg) if pg else DuckDBWarehouse(data / "warehouse.duckdb")
    yield data, wh, july


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    steps = [
        f"{e.step_key}: {e.step_failure_data.error.message[:500]}"  # type: ignore[union-attr]
        for e in result.all_events
        if e.is_step_failure
    ]
    checks = [
        f"{c.check_name}: {c.metadata}"
        for c in result.get_asset_check_evaluations()
        if not c.passed
    ]
    return steps + checks


def _run(selection, resources, instance, partition):
    from sec_assets.definitions import defs

    job = dg.define_asset_job("cadence", selection=selection)
    resolved = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources={**(defs.resources or {}), **resources},
    ).resolve_job_def("cadence")
    return resolved.execute_in_process(
        instance=instance, partition_key=partition, raise_on_error=False
    )


def test_each_month_states_its_cadence_and_sparse_months_stay_unbiased(history) -> None:
    data, wh, july = history
    shipped = cadence_errors().filter(pl.col("hours_per_day") == 4)[ERROR].item()
    assert shipped > 0

    # Silver: the cadence read from bronze, per source; every expected hour answered.
    cadence = wh.read(
        "SELECT month, source, hours_per_day, hours_represented, days "
        "FROM silver.month_cadence ORDER BY month, source"
    )
    assert cadence.rows() == [
        (SPARSE, "imported", 4, 6.0, 31),
        (HOURLY, "fetched", 24, 1.0, 31),
    ]
    hours = dict(
        wh.read("SELECT month, COUNT(*) AS n FROM silver.snapshot_ledger GROUP BY month").rows()
    )
    assert hours[SPARSE] == 31 * 4 and hours[HOURLY] == 31 * 24
    meta = {
        k: v.value
        for e in july.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "snapshot_ledger"
        for k, v in e.event_specific_data.materialization.metadata.items()  # type: ignore[union-attr]
    }
    assert "4/day imported" in str(meta["cadence"])

    # July's customer-hours per region, against the simulator's hourly truth: within the error
    # measured for 4 a day, and unbiased over the country (each sample stands for 6 hours).
    truth = (
        truth_hourly(SPARSE, seed=SEED)
        .filter(pl.col("hour").dt.strftime(LABEL_FORMAT) == SPARSE)
        .group_by("cut_region")
        .agg(pl.col("customers").sum().cast(pl.Float64).alias("true"))
    )
    both = truth.join(_region_hours(wh, SPARSE).cast({"cut_region": pl.Int32}), on="cut_region")
    rel = ((both["reco"] - both["true"]) / both["true"]).abs()
    assert rel.mean() <= 1.5 * shipped, rel.to_list()
    assert abs(both["reco"].sum() / both["true"].sum() - 1) <= shipped

    # Gold: data_coverage states each month's cadence and the error measured for it.
    coverage = local_files.read_payload(data, "data_coverage")
    months = {r["key"]: r for r in coverage if r["scope"] == "month"}
    assert months[SPARSE]["included"] is True
    assert months[SPARSE]["hours_per_day"] == 4
    assert months[SPARSE]["cadence"].startswith("4/day imported")
    assert months[SPARSE]["cadence_error"] == pytest.approx(shipped)
    assert months[HOURLY]["hours_per_day"] == 24 and months[HOURLY]["cadence_error"] == 0.0
    reliability = local_files.read_payload(data, "reliability_indices")
    assert {r["hours_per_day"] for r in reliability if r["mes"].startswith(SPARSE)} == {4}

    # time_series does not dip for July: the month is left out and named, with the reason.
    series = local_files.read_payload(data, "time_series")
    assert {r["mes"][:7] for r in series} == {HOURLY}
    refused = {(r["scope"], r["key"]): r["reason"] for r in coverage if r["scope"] != "month"}
    assert "4/day imported" in refused[("time_series", SPARSE)]
    assert ("company_ranking", SPARSE) in refused and ("market_map", SPARSE) in refused

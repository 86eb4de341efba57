"""Ranged runs of every monthly asset, bronze → silver → golden Parquet, against the simulator: one
run of three months (what a backfill launches) records each month's own metadata and leaves the
same tables and files as three one-month runs; a month that fails is named and does not undo the
others; a configuration mistake stops the range; the code location loads with one backfill policy
per job, without Dagster's mixed-policy warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from sec_assets.automation.jobs import MONTHLY_ASSETS
from sec_assets.bronze.store import BronzeStore
from sec_assets.definitions import defs
from sec_assets.month import Month
from sec_assets.partitions import BACKFILL_POLICY
from sec_assets.resources import Resources, local_resources
from sec_assets_tests.integration.test_silver_ranged import _tables
from sec_sim import FaultKind, FaultRule

REPO = Path(__file__).resolve().parents[2]
MONTHS = Month.range(Month(2024, 5), 3)
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
PER_DAY = 1  # 31 requests a month: the range is about ranges, not volume
RANGE_TAGS = {
    "dagster/asset_partition_range_start": MONTHS[0].key,
    "dagster/asset_partition_range_end": MONTHS[-1].key,
}


def _resources(sim, data: Path, **over) -> Resources:
    return local_resources(
        data,
        base_url=over.pop("base_url", sim.base_url),
        hours_per_day=PER_DAY,
        max_concurrency=8,
        requests_per_second=2000,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        read_timeout_s=60,
        **over,
    )


def _run(selection: list[str], resources: Resources, *, tags=None, partition=None):
    job = dg.define_asset_job("ranged_monthly", selection=selection)
    resolved = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources={**(defs.resources or {}), **resources},
    ).resolve_job_def("ranged_monthly")
    return resolved.execute_in_process(partition_key=partition, tags=tags, raise_on_error=False)


def _materializations(result, asset: str) -> dict[str, dict[str, object]]:
    """Partition → metadata values of ``asset``'s materializations in the run."""
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            if mat.asset_key == dg.AssetKey(asset):
                out[mat.partition] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return out


def _golden(data: Path) -> dict[str, pl.DataFrame]:
    root = data / "gold" / "parquet" / "fact_eventos"
    return {
        str(p.relative_to(root)): pl.read_parquet(p).sort("evento_id")
        for p in sorted(root.rglob("*.parquet"))
    }


def test_every_monthly_asset_has_the_one_backfill_policy() -> None:
    for key in MONTHLY_ASSETS:
        assert defs.resolve_assets_def(key).backfill_policy == BACKFILL_POLICY, key


def test_the_code_location_loads_without_a_mixed_backfill_policy_warning() -> None:
    """What ``dagster dev`` and every run do: import the definitions and resolve every job."""
    code = (
        "import dagster as dg\n"
        "from sec_assets.definitions import defs\n"
        "dg.Definitions.validate_loadable(defs)\n"
        "defs.resolve_all_job_defs()\n"
        "print('loaded')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0 and "loaded" in done.stdout, done.stderr[-3000:]
    assert "BackfillPolic" not in done.stderr, done.stderr[-3000:]
    assert "varying" not in done.stderr, done.stderr[-3000:]


@pytest.mark.timeout(900)
def test_a_ranged_run_equals_month_runs(sim, tmp_path: Path) -> None:
    ranged_dir, single_dir = tmp_path / "ranged", tmp_path / "single"
    ranged = _resources(sim, ranged_dir)
    assert _run(DIMS, ranged).success
    result = _run(MONTHLY_ASSETS, ranged, tags=RANGE_TAGS)
    assert result.success
    keys = sorted(m.key for m in MONTHS)
    for asset in MONTHLY_ASSETS:
        assert sorted(_materializations(result, asset)) == keys, asset

    single = _resources(sim, single_dir)
    assert _run(DIMS, single).success
    by_month = {}
    for m in MONTHS:
        one = _run(MONTHLY_ASSETS, single, partition=m.key)
        assert one.success, m
        by_month[m.key] = _materializations(one, "sec_snapshots")[m.key]

    # each month's materialization carries that month's own figures, as a run of it alone
    snapshots = _materializations(result, "sec_snapshots")
    for key, alone in by_month.items():
        for name in ("dagster/row_count", "hours_expected", "hours_covered", "customers"):
            assert snapshots[key][name] == alone[name], (key, name)
    rows = {k: int(str(v["dagster/row_count"])) for k, v in snapshots.items()}
    assert len(set(rows.values())) == 3 and min(rows.values()) > 31 * 20, rows
    golden = _materializations(result, "golden_eventos")
    assert all(int(str(golden[k]["dagster/row_count"])) > 0 for k in keys), golden
    assert len({golden[k]["dagster/row_count"] for k in keys}) == 3, golden

    # Both collections are real, minutes apart: the server time each run asked differs.
    a = _tables(ranged["warehouse"].get_warehouse())
    b = _tables(single["warehouse"].get_warehouse())
    for name in a:
        x, y = (t[name].drop("server_time", strict=False) for t in (a, b))
        assert x.height > 0 and x.equals(y), name
    for name, frame in [("national_hourly", "hour_key, source")]:
        sql = f"SELECT hour_key, source, customers FROM silver.{name} ORDER BY {frame}"
        x = ranged["warehouse"].get_warehouse().read(sql)
        y = single["warehouse"].get_warehouse().read(sql)
        assert x.height == sum(len(m.hours(PER_DAY)) for m in MONTHS) and x.equals(y), name
    # A month's episodes that run into the next month are completed when that month loads: the
    # golden file of a month written before it is rewritten from the final episodes to compare.
    for m in MONTHS[:-1]:
        assert _run(["golden_eventos"], single, partition=m.key).success
    ga, gb = _golden(ranged_dir), _golden(single_dir)
    assert len(ga) == 3 and sorted(ga) == sorted(gb)
    for name in ga:
        assert ga[name].equals(gb[name]), name


@pytest.mark.timeout(600)
def test_a_failing_month_is_named_and_the_others_are_kept(sim, tmp_path: Path) -> None:
    bad = MONTHS[1]
    sim.set_faults(
        [FaultRule(kind=FaultKind.DRIFT_MISSING_FIELD, hours=[h.key for h in bad.hours(PER_DAY)])]
    )
    result = _run(["sec_snapshots"], _resources(sim, tmp_path / "data"), tags=RANGE_TAGS)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert f"- {bad}: failed: {bad}: only 0.0%" in message, message
    assert "1 of 3 months of the run were not materialized" in message, message
    good = sorted(m.key for m in MONTHS if m != bad)
    assert sorted(_materializations(result, "sec_snapshots")) == good
    store = BronzeStore(tmp_path / "data" / "bronze", "sec_snapshots")
    for m in MONTHS:  # every month's answers are stored, the failed one's too
        hours = len(m.hours(PER_DAY))
        if m == bad:
            assert len([f for f in store.files(m.label) if not f.good]) >= hours
        else:
            assert len(store.versions(m.label)) == hours + 1, m


@pytest.mark.timeout(600)
def test_a_configuration_mistake_stops_the_range(sim, tmp_path: Path) -> None:
    wrong = sim.base_url.rsplit("/", 1)[0]  # the service's path left out: every answer a 404
    resources = _resources(sim, tmp_path / "data", base_url=wrong)
    result = _run(["sec_snapshots"], resources, tags=RANGE_TAGS)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert f"- {MONTHS[0]}: failed:" in message, message
    for later in MONTHS[1:]:
        assert f"- {later}: not attempted: {MONTHS[0]} stopped the run" in message, message
    asked = {e[1][:7] for e in sim.request_log() if e[0] == "GetPorFecha" and e[1]}
    assert asked <= {MONTHS[0].label}, asked

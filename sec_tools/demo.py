"""``make demo`` / ``make check``: the main job end to end against the local SEC simulator.

Starts the simulator on loopback, materializes bronze and silver for one storm month (2024-08,
the month of the national windstorm) into the Dagster instance at ``$DAGSTER_HOME``, the data
folder at ``$SEC_DATA_DIR`` and the embedded DuckDB warehouse (or ``$SEC_PG_DSN``), then prints
the month's headline figures and where everything is. ``--check`` uses a throwaway instance and
data folder and exits non-zero if any materialization or asset check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.automation.alerts.preview import preview
from sec_assets.automation.jobs import GOLD_REFRESH_ASSETS, MONTHLY_ASSETS
from sec_assets.definitions import defs
from sec_assets.gold.charts import chart_lines
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_sim import SimConfig, run_simulator
from sec_tools import demo_history

DEMO_PARTITION = "2024-08"
UNPARTITIONED = ["dim_geografia", "dim_empresa", "dim_tiempo", "seia_projects"]
MONTHLY = MONTHLY_ASSETS
GOLD = GOLD_REFRESH_ASSETS


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        if mat.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in mat.metadata.items()}
    return {}


def _episodes_line(events: Mapping[str, Any]) -> str:
    """Silver's episodes of the month: those with an hour in it, some begun earlier."""
    touching, started = events["dagster/row_count"], events["episodes_starting_this_month"]
    return (
        f"{touching:,} with an hour in the month ({started:,} began in it, "
        f"{touching - started:,} before it)"
    )


def _golden_count(golden: Mapping[str, Any], events: Mapping[str, Any]) -> str:
    """The Parquet holds the episodes that started in the month (golden_eventos.sql)."""
    rows, started = golden["dagster/row_count"], events.get("episodes_starting_this_month")
    if rows == started:
        return f"{rows:,} episodes: those that began in the month"
    return f"{rows:,} episodes; silver has {started} that began in the month"


def run_selection(
    selection: list[str],
    resources: Mapping[str, object],
    instance: dg.DagsterInstance | None = None,
    partition=None,
):
    """Execute ``selection`` in-process with the code location's assets, checks and resources
    (``resources`` override them)."""
    job = dg.define_asset_job("demo", selection=selection)
    resolved = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources={**(defs.resources or {}), **resources},
    ).resolve_job_def("demo")
    return resolved.execute_in_process(
        instance=instance, partition_key=partition, raise_on_error=False
    )


def run(partition: str, instance: dg.DagsterInstance, data_dir: Path) -> int:
    with run_simulator(SimConfig(seed=42)) as sim:
        print(f"SEC simulator answering at {sim.base_url}")
        # The simulator is local: politeness limits can be generous.
        resources = local_resources(
            data_dir,
            base_url=sim.base_url,
            max_concurrency=8,
            requests_per_second=500,
            backoff_initial_s=0.05,
            backoff_max_s=0.5,
        )
        print("materializing the dimensions, then the month, then gold …", flush=True)
        dims = run_selection(UNPARTITIONED, resources, instance)
        history = demo_history.import_month(run_selection, resources, instance, data_dir)
        month = run_selection(MONTHLY, resources, instance, partition)
        demo_history.crosscheck_open_month(run_selection, resources, instance, history)
        gold = run_selection(GOLD, resources, instance)
        alerts = preview(instance, resources)
    checks = month.get_asset_check_evaluations()
    failed_checks = [c for c in checks if not c.passed]
    snap = _metadata(month, "sec_snapshots")
    ledger = _metadata(month, "snapshot_ledger")
    facts = _metadata(month, "fact_interrupciones")
    events = _metadata(month, "fact_eventos")
    stats = _metadata(gold, "dashboard_stats")
    golden = _metadata(month, "golden_eventos")
    ok = (
        dims.success
        and month.success
        and gold.success
        and history.success
        and not [c for c in failed_checks if c.severity == dg.AssetCheckSeverity.ERROR]
    )
    print()
    print(f"Month {partition} — {'OK' if ok else 'FAILED'} (run {month.run_id})")
    if snap:
        print(
            f"  bronze          {snap['hours_covered']}/{snap['hours_expected']} hours, "
            f"{snap['rows']:,} rows, {snap['bytes_on_disk'] / 1e6:.1f} MB, "
            f"{snap['requests_per_second']} req/s"
        )
    if ledger:
        print(
            f"  coverage        {ledger['coverage_percent']:.1f}% (ok {ledger['hours_ok']}, "
            f"empty {ledger['hours_empty']}, degraded {ledger['hours_degraded']}, "
            f"failed {ledger['hours_failed']})"
        )
        peak, at = ledger["peak_hour_customers"], ledger["peak_hour"]
        print(f"  national peak   {peak:,} customers without power at {at}")
    if facts:
        guard = {
            k.removeprefix("guardrail_"): v for k, v in facts.items() if k.startswith("guardrail_")
        }
        rows, raw = facts["dagster/row_count"], facts["raw_rows"]
        print(
            f"  observations    {rows:,} (from {raw:,} raw rows: one per hour, comuna, company "
            "and outage start; fragments of one are summed)"
        )
        print(f"  guardrails      {guard}")
    if events:
        print(f"  episodes        {_episodes_line(events)}")
        print(f"  largest peak    {events['max_peak_customers']:,} customers in one comuna")
        print(f"  customer-hours  {events['customer_hours']:,.0f}")
    print(
        f"  checks          {len(checks) - len(failed_checks)}/{len(checks)} passed"
        + "".join(f"\n    ! {c.check_name}: {c.description}" for c in failed_checks)
    )
    if stats:
        print(f"  payloads        published to {stats['target']}: {stats['location']}")
        print("  dashboard       simonkey1/dashboard-sec charts fed by these payloads:")
        for line in chart_lines(data_dir):
            print(f"    {line}")
    if golden:
        print(f"  golden Parquet  {golden['path']} ({_golden_count(golden, events)})")
        if "observations_path" in golden:
            rows = golden["observation_rows"]
            print(f"                  {golden['observations_path']} ({rows:,} observations)")
    demo_history.report(history, gold, data_dir)
    print(f"  bronze files    {data_dir / 'bronze'}")
    warehouse = resources["warehouse"].chosen()  # the run's own choice, asked, not redone
    print(f"  warehouse       {warehouse.engine}: {warehouse.where}")
    print(f"  Dagster home    {instance.root_directory}  (browse it: make ui)")
    print(f"  alerts          {len(alerts)} message(s) to send now, printed only (docs/alerts.md)")
    for text in alerts:
        print(f"    {text.splitlines()[0]}")
    for result in (dims, month, gold, history.imported, history.crosscheck):
        for event in result.all_events:
            if event.is_failure:
                print(f"  ! {event.message}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--partition", default=DEMO_PARTITION, help="month, e.g. 2024-08")
    parser.add_argument(
        "--check", action="store_true", help="throwaway instance; exit 1 on failure"
    )
    args = parser.parse_args(argv)
    args.partition = Month.parse(args.partition).key  # 2024-08-01 is read as 2024-08 too
    if args.check:
        with (
            tempfile.TemporaryDirectory(prefix="sec_check_") as tmp,
            dg.instance_for_test(temp_dir=tmp) as instance,
        ):
            return run(args.partition, instance, Path(tmp) / "data")
    data_dir = Path(os.environ.get("SEC_DATA_DIR", "./data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / "demo.log"
    print(f"Dagster's log of the runs: {log}")
    with log.open("w") as stream, contextlib.redirect_stderr(stream):
        code = run(args.partition, dg.DagsterInstance.get(), data_dir)
    print(f"  run log         {log}")
    return code


if __name__ == "__main__":
    sys.exit(main())

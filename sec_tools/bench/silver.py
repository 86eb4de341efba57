"""Silver: bronze → silver → gold over a long history on one engine, exactly as the assets run
it: ranged runs (``sec_assets.silver.ranged``, as a backfill runs them), and single-month runs
in fresh processes (``sec_assets.silver.load``, as a partition run) to show the cost of a month
does not grow with the history. Run in its own process per engine so that peak memory is this
engine's alone; prints one JSON line.

    python -m sec_tools.bench.silver --data DIR --first 2024-01 --months 12 [--dsn DSN]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from sec_assets.bronze.store import BronzeStore
from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.golden import golden_month
from sec_assets.gold.payloads import validate_payload
from sec_assets.month import Month
from sec_assets.settings import load_settings
from sec_assets.silver.load import (
    DIMENSIONS,
    EVENTS_LOCK,
    EVENTS_LOCK_TIMEOUT_S,
    load_answers,
    load_dimension,
    load_events,
    load_region_customers,
    read_answers,
    rebuild_events,
)
from sec_assets.silver.ranged import load_observations_range, range_bounds
from sec_assets.silver.seia import load_seia
from sec_assets.silver.seia_assets import SAMPLE as SEIA_SAMPLE
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.connect import connect_warehouse
from sec_tools.bench.rss import children_peak_rss_mb, peak_rss_mb


def load_month(wh: Warehouse, data: Path, m: Month) -> dict[str, Any]:
    """One month, as a partition run of the silver assets does it: the schema ensured, then on
    one kept connection its region customers, its observations and their checks, then its
    episodes and theirs."""
    from sec_assets.silver.checks import check_results

    snaps = BronzeStore(data / "bronze", "sec_snapshots")
    custs = BronzeStore(data / "bronze", "sec_customers")
    key = m.label
    t0, c0 = time.perf_counter(), cpu_s()
    # As WarehouseResource does in a run that writes: one kept connection, opened read-write
    # by the schema check and used by every step.
    wh.keep_open(idle_s=load_settings().warehouse_idle_s)
    try:
        wh.ensure_schema()
        load_region_customers(wh, custs, m)
        answers = read_answers(snaps, m)
        with wh.session():  # as the step does: write, checks and verdicts on one connection
            obs = load_answers(wh, answers, m)
            for asset in ("snapshot_ledger", "fact_interrupciones"):
                check_results(asset, wh, key, 0.95)
        t1 = time.perf_counter()
        start, end = range_bounds([m])
        with wh.lock(EVENTS_LOCK, timeout_s=EVENTS_LOCK_TIMEOUT_S):
            events, _ = rebuild_events(wh, start, end)
            check_results("fact_eventos", wh, key, 0.95)
        t2, c2 = time.perf_counter(), cpu_s()
        with tempfile.TemporaryDirectory(prefix="bench_golden_") as tmp:  # the run's next step
            golden = golden_month(wh, Path(tmp), m).rows
        t3 = time.perf_counter()
    finally:
        wh.release_kept()  # the run's teardown: the close checkpoints what it wrote
    t4 = time.perf_counter()
    raw = obs.answers.rows.height
    return {
        "month": key,
        "raw_rows": raw,
        "facts": obs.silver.facts.height,
        "events": events.height,
        "observations_s": round(t1 - t0, 3),
        "events_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
        "cpu_s": round(c2 - c0, 2),
        "raw_rows_per_s": round(raw / (t2 - t0)),
        "golden_s": round(t3 - t2, 3),
        "run_s": round(t4 - t0, 3),  # all of it: the golden Parquet and the close too
        "golden_rows": golden,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "connections_opened": wh.connections_opened,
    }


def cpu_s() -> float:
    """CPU seconds (user + sys) of this process and of its reaped children (the parser)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load_range(
    wh: Warehouse, data: Path, months: list[Month], downstream: Path | None = None
) -> dict[str, Any]:
    """A ranged run of the silver assets: region customers, observations (parsed in a second
    process, one transaction per month), then the range's episodes at once. ``downstream``
    (a data folder for the golden files): then also what a backfill's run does after them,
    through the same functions (:func:`after_silver`)."""
    custs = BronzeStore(data / "bronze", "sec_customers")
    t0, c0 = time.perf_counter(), cpu_s()
    with wh.session():
        for m in months:
            load_region_customers(wh, custs, m)
    write_s: dict[str, float] = {}  # month -> seconds writing it (the warehouse's own count)
    obs = load_observations_range(
        wh,
        data / "bronze",
        months,
        on_batch=lambda m, b: write_s.update({m.label: round(b.seconds, 3)}),
    )
    obs.raise_failures()
    t1 = time.perf_counter()
    load_events(wh, *range_bounds(months))
    t2 = time.perf_counter()
    if downstream is not None:
        after_silver(wh, data, months, downstream)
    t3 = time.perf_counter()
    return {
        "months": [m.label for m in months],
        "raw_rows": obs.raw_rows,
        "observations_s": round(t1 - t0, 3),
        "events_s": round(t2 - t1, 3),
        "after_silver_s": round(t3 - t2, 3),
        "seconds": round(t3 - t0, 3),
        "cpu_s": round(cpu_s() - c0, 2),
        "write_s": write_s,
        # The parser process's peak (the month the writer parses itself is not counted); of
        # every parser this process has run so far.
        "parser_peak_mb": round(children_peak_rss_mb(), 1),
    }


def after_silver(wh: Warehouse, data: Path, months: list[Month], downstream: Path) -> None:
    """What a backfill's ranged run does after the observations and episodes, through the
    package's functions: every check of every month with its verdicts kept, the last month's
    picture (``fact_eventos``' metadata), the national series of each month and its check
    (``national_hourly``), and the golden Parquet of both grains (``golden_eventos``)."""
    from sec_assets.gold.golden import GoldenRange
    from sec_assets.silver.checks import CHECKED_ASSETS, evaluate_checks
    from sec_assets.silver.figures import month_picture
    from sec_assets.silver.month_checks import record_verdicts
    from sec_assets.silver.national import DATASET, compare, replace_month

    coverage = load_settings().min_month_coverage
    with wh.session():
        for asset in CHECKED_ASSETS:
            verdicts: list[dict[str, object]] = []
            for m in months:
                verdicts.extend(evaluate_checks(asset, wh, m.label, coverage)[1])
            record_verdicts(wh, asset, verdicts)
        month_picture(wh, downstream, months[-1])
        national = BronzeStore(data / "bronze", DATASET)
        for m in months:
            replace_month(wh, national, m)
            compare(wh, m.label)
    golden = GoldenRange(wh, downstream, months)
    for m in months:
        golden.write(m)


def fresh_process_month(dsn: str | None, db: Path, data: Path, m: Month) -> dict[str, Any]:
    """Load month ``m`` in a new process (as each Dagster partition run does) and return its
    figures, ``peak_rss_mb`` being that process's own peak."""
    cmd = [sys.executable, "-m", "sec_tools.bench.silver", "--data", str(data)]
    cmd += ["--db", str(db), "--one-month", m.label] + (["--dsn", dsn] if dsn else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"one-month load failed: {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _open(dsn: str | None, db: Path) -> Warehouse:
    """The warehouse ``dsn`` names (Postgres), else the DuckDB file ``db``, as the assets
    choose it (:func:`~sec_assets.warehouse.connect.connect_warehouse`); never the
    environment's ``SEC_PG_DSN``."""
    settings = load_settings(pg_dsn=SecretStr(dsn or ""), data_dir=db.parent)
    return connect_warehouse(settings, duckdb_file=db.name)


def _prepared(dsn: str | None, db: Path) -> Warehouse:
    """A new warehouse with its schema, dimensions and the SEIA sample (not timed)."""
    wh = _open(dsn, db)
    wh.ensure_schema()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    load_seia(wh, Path(str(SEIA_SAMPLE)))
    return wh


def run(
    dsn: str | None,
    db: Path,
    data: Path,
    months: list[Month],
    range_size: int = 12,
    small: tuple[str | None, Path] | None = None,
    *,
    flat: bool = True,
    same_work: bool = False,
) -> dict[str, Any]:
    """The history as a backfill runs it: ranged runs of ``range_size`` consecutive months
    (``BackfillPolicy.multi_run``: a year is one run), all timed. Flat cost: the second month
    is re-loaded in a fresh process (a single-month partition run), and gold computed over
    everything, in a second warehouse ``small`` (DSN or DuckDB file) holding only the first
    three months (loaded untimed) and in this one once all months are in, the two taking
    turns (:func:`alternated`). Both re-loads see the same neighbours and differ only in the
    history around them (time, CPU and memory compared); they are not part of the load's
    time. ``flat=False``: the load's figures alone (a repeat of the throughput measure)."""
    probe = months[1] if len(months) >= 3 else months[0]
    cut = min(3, len(months))
    targets: dict[str, tuple[tuple[str | None, Path], Warehouse]] = {}
    if flat and small is not None and cut < len(months):
        little = _prepared(*small)
        load_range(little, data, months[:cut])
        check_months(little)
        targets["small"] = (small, little)
    wh = _prepared(dsn, db)
    ranges = [months[i : i + range_size] for i in range(0, len(months), range_size)]
    with tempfile.TemporaryDirectory(prefix="bench_downstream_") as tmp:
        downstream = Path(tmp) if same_work else None
        done = [load_range(wh, data, r, downstream) for r in ranges]
    raw = sum(int(r["raw_rows"]) for r in done)
    seconds = sum(float(r["seconds"]) for r in done)
    writes = [v for r in done for v in r["write_s"].values()]
    load = {
        "engine": wh.engine,
        "same_work": same_work,
        "months": len(months),
        "ranges": len(done),
        "raw_rows": raw,
        "seconds": round(seconds, 2),
        "cpu_s": round(sum(float(r["cpu_s"]) for r in done), 2),
        "raw_rows_per_s": round(raw / seconds),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "parser_peak_rss_mb": max(float(r["parser_peak_mb"]) for r in done),
        "write_s_first_last": [writes[0], writes[-1]],
        "per_range": done,
    }
    if not flat:
        return load
    check_months(wh)
    targets["whole"] = ((dsn, db), wh)
    costs = alternated(targets, data, probe)
    costs.setdefault("small", costs["whole"])  # the whole history is the small one
    history = {"small": cut, "whole": len(months)}
    return {
        **load,
        "peak_rss_mb": round(peak_rss_mb(), 1),  # gold over everything included
        "history": history,
        "flat": costs,
        "gold": costs["whole"]["gold"],
    }


#: Alternated (small, whole) pairs of the flat-cost measures; each figure reported is the
#: median of its pairs. This machine's speed can vary by a third within a minute: one pair
#: measured once proved nothing (docs/benchmarks.md).
PAIRS = 5


def alternated(
    targets: dict[str, tuple[tuple[str | None, Path], Warehouse]], data: Path, probe: Month
) -> dict[str, Any]:
    """For each warehouse of ``targets`` (label -> ((DSN, DuckDB file), warehouse)), a month
    re-loaded in a fresh process and gold, :data:`PAIRS` times, the warehouses taking turns;
    the median run of each (by wall time), with every run's wall time listed."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        label: {"probe": [], "gold": []} for label in targets
    }
    for _ in range(PAIRS):
        for label, ((dsn, db), wh) in targets.items():
            runs[label]["probe"].append(fresh_process_month(dsn, db, data, probe))
            runs[label]["gold"].append(bench_gold(wh))
    out: dict[str, Any] = {}
    for label, got in runs.items():
        probes = sorted(got["probe"], key=lambda r: float(r["total_s"]))
        golds = sorted(got["gold"], key=lambda r: float(r["seconds"]))
        out[label] = {
            "probe": probes[len(probes) // 2],
            "gold": golds[len(golds) // 2],
            "probe_runs_s": [r["total_s"] for r in got["probe"]],
            "gold_runs_s": [r["seconds"] for r in got["gold"]],
        }
    return out


def check_months(wh: Warehouse) -> None:
    """Every month's checks, evaluated as the pipeline does before gold (gold counts checked
    months only); not timed."""
    from sec_assets.silver.checks import CHECKED_ASSETS, check_results

    for month in wh.read("SELECT DISTINCT month FROM silver.snapshot_ledger")["month"]:
        for asset in CHECKED_ASSETS:
            check_results(asset, wh, month, 0.95)


def bench_gold(wh: Warehouse) -> dict[str, Any]:
    """Every payload over the whole history loaded (plus the SEIA sample), validated, its
    reads on one connection (as in a Dagster step). The months' checks are evaluated before
    (:func:`check_months`)."""
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}
    t_all, c0 = time.perf_counter(), cpu_s()
    wh.keep_open(idle_s=load_settings().warehouse_idle_s)  # as WarehouseResource does
    try:
        for payload_id, (compute, _, _) in COMPUTE.items():
            t0 = time.perf_counter()
            rows[payload_id] = len(validate_payload(payload_id, compute(wh)))
            seconds[payload_id] = round(time.perf_counter() - t0, 3)
    finally:
        wh.release_kept()
    return {
        "seconds": round(time.perf_counter() - t_all, 2),
        "cpu_s": round(cpu_s() - c0, 2),
        "per_payload_s": seconds,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--first", default="2024-01")
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--dsn", default=None, help="Postgres DSN; DuckDB under --data if unset")
    p.add_argument("--db", default="bench_warehouse.duckdb", help="DuckDB file under --data")
    p.add_argument("--range", type=int, default=12, help="months per ranged run")
    p.add_argument("--one-month", default=None, help="load only this month (YYYY-MM) and exit")
    p.add_argument(
        "--load-only", action="store_true", help="the load's figures alone (no cost in history)"
    )
    p.add_argument(
        "--same-work",
        action="store_true",
        help="with --load-only: also the checks, the national series and the golden Parquet",
    )
    p.add_argument(
        "--small-dsn", default=None, help="Postgres DSN of the 3-month warehouse (flat cost)"
    )
    p.add_argument(
        "--small-db", default=None, help="DuckDB file under --data of the 3-month warehouse"
    )
    args = p.parse_args(argv)
    args.data = args.data.resolve()  # the fresh-process loads get absolute paths
    if args.one_month:
        m = Month.parse(args.one_month)
        print(json.dumps(load_month(_open(args.dsn, args.data / args.db), args.data, m)))
        return 0
    months = Month.range(Month.parse(args.first), args.months)
    small = None
    if args.small_dsn or args.small_db:
        small = (args.small_dsn, args.data / (args.small_db or "unused.duckdb"))
    out = run(
        args.dsn,
        args.data / args.db,
        args.data,
        months,
        args.range,
        small,
        flat=not args.load_only,
        same_work=args.same_work,
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

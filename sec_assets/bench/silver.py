"""Silver: bronze → silver over a long history on one engine, exactly as the assets run it
(``sec_assets.silver.load``): months one at a time in order, or as a backfill with several
worker processes. Run in its own process per engine so that peak memory is this engine's
alone; prints one JSON line.

    python -m sec_assets.bench.silver --data DIR --first 2024-01 --months 12 [--dsn DSN]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from sec_assets.bench.bronze import months_between
from sec_assets.bronze.store import BronzeStore
from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.payloads import validate_payload
from sec_assets.gold.seia import load_seia
from sec_assets.gold.seia_assets import SAMPLE as SEIA_SAMPLE
from sec_assets.silver.load import (
    DIMENSIONS,
    load_dimension,
    load_events,
    load_observations,
    load_region_customers,
)
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.postgres_engine import PostgresWarehouse


def rss_mb() -> float:
    """Peak resident memory of this process, MB. Linux: VmHWM, which starts afresh at exec
    (ru_maxrss carries the parent's peak into a child made by fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_month(wh: Warehouse, data: Path, m: date) -> dict[str, Any]:
    """One month, as a partition run of the silver assets does it."""
    snaps = BronzeStore(data / "bronze", "sec_snapshots")
    custs = BronzeStore(data / "bronze", "sec_customers")
    key = m.strftime("%Y-%m")
    t0 = time.perf_counter()
    load_region_customers(wh, custs, key)
    obs = load_observations(wh, snaps, m)
    t1 = time.perf_counter()
    nxt = months_between(m, 2)[1]
    events, _ = load_events(wh, datetime(m.year, m.month, 1), datetime(nxt.year, nxt.month, 1))
    t2 = time.perf_counter()
    raw = obs.answers.rows.height
    return {
        "month": key,
        "raw_rows": raw,
        "facts": obs.silver.facts.height,
        "events": events.height,
        "observations_s": round(t1 - t0, 3),
        "events_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
        "raw_rows_per_s": round(raw / (t2 - t0)),
        "peak_rss_mb": round(rss_mb(), 1),
    }


def fresh_process_month(dsn: str | None, db: Path, data: Path, m: date) -> dict[str, Any]:
    """Load month ``m`` in a new process (as each Dagster partition run does) and return its
    figures, ``peak_rss_mb`` being that process's own peak."""
    cmd = [sys.executable, "-m", "sec_assets.bench.silver", "--data", str(data)]
    cmd += ["--db", str(db), "--one-month", m.strftime("%Y-%m")] + (["--dsn", dsn] if dsn else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"one-month load failed: {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _open(dsn: str | None, db: Path) -> Warehouse:
    return PostgresWarehouse(SecretStr(dsn)) if dsn else DuckDBWarehouse(db)


def _worker_month(dsn: str | None, db: Path, data: Path, m: date) -> dict[str, Any]:
    return load_month(_open(dsn, db), data, m)


def run(
    dsn: str | None, db: Path, data: Path, months: list[date], workers: int = 1
) -> dict[str, Any]:
    """Months in order, one at a time (``workers=1``), or as a backfill with ``workers``
    processes loading months at once (writes are serialized by the warehouse's locks).

    Memory: the second month is re-loaded in a fresh process (as each Dagster partition run
    is) twice — once the first three months are in, and again once all are — so both loads
    see the same neighbouring months and differ only in the history around them. Equal peaks
    mean memory is bounded by the month, not the history. These re-loads are not timed."""
    wh = _open(dsn, db)
    wh.ensure_schema()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    probe = months[1] if len(months) >= 3 else months[0]
    cut = 3 if len(months) >= 3 else len(months)

    def load(batch: list[date]) -> tuple[list[dict[str, Any]], float]:
        t0 = time.perf_counter()
        if workers == 1:
            done = [load_month(wh, data, m) for m in batch]
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                n = len(batch)
                done = list(pool.map(_worker_month, [dsn] * n, [db] * n, [data] * n, batch))
        return done, time.perf_counter() - t0

    per_month, total = load(months[:cut])
    memory = {
        "month": probe.strftime("%Y-%m"),
        f"history_{cut}_months_mb": fresh_process_month(dsn, db, data, probe)["peak_rss_mb"],
    }
    rest, seconds = load(months[cut:])
    per_month, total = per_month + rest, total + seconds
    memory[f"history_{len(months)}_months_mb"] = fresh_process_month(dsn, db, data, probe)[
        "peak_rss_mb"
    ]
    gold = bench_gold(wh)
    raw_total = sum(int(p["raw_rows"]) for p in per_month)
    return {
        "engine": wh.engine,
        "workers": workers,
        "months": len(months),
        "raw_rows": raw_total,
        "seconds": round(total, 2),
        "raw_rows_per_s": round(raw_total / total),
        "peak_rss_mb_after_first_month": per_month[0]["peak_rss_mb"],
        "peak_rss_mb": round(max(rss_mb(), *(p["peak_rss_mb"] for p in per_month)), 1),
        "memory_bound": memory,
        "gold": gold,
        "per_month": per_month,
    }


def bench_gold(wh: Warehouse) -> dict[str, Any]:
    """Every payload over the whole history loaded (plus the SEIA sample), validated. The
    months' checks are evaluated first, as the pipeline does: gold counts checked months only."""
    from sec_assets.silver.checks import CHECKS, run_check

    for month in wh.read("SELECT DISTINCT month FROM silver.snapshot_ledger")["month"]:
        for check in CHECKS:
            run_check(check, wh, month, 0.95)
    load_seia(wh, Path(str(SEIA_SAMPLE)))
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}
    t_all = time.perf_counter()
    for payload_id, (compute, _, _) in COMPUTE.items():
        t0 = time.perf_counter()
        rows[payload_id] = len(validate_payload(payload_id, compute(wh)))
        seconds[payload_id] = round(time.perf_counter() - t0, 3)
    return {
        "seconds": round(time.perf_counter() - t_all, 2),
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
    p.add_argument("--workers", type=int, default=1, help="processes loading months at once")
    p.add_argument("--one-month", default=None, help="load only this month (YYYY-MM) and exit")
    args = p.parse_args(argv)
    if args.one_month:
        m = date.fromisoformat(args.one_month + "-01")
        print(json.dumps(load_month(_open(args.dsn, args.data / args.db), args.data, m)))
        return 0
    first = date.fromisoformat(args.first + "-01")
    months = months_between(first, args.months)
    print(json.dumps(run(args.dsn, args.data / args.db, args.data, months, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

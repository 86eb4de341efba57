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


def memory_bound(dsn: str | None, db: Path, data: Path, months: list[date]) -> dict[str, Any]:
    """Peak RSS of a fresh process re-loading the same month with 1 month of history in the
    warehouse, then with the whole history: equal figures mean memory is bounded by the month,
    not by the history."""
    first = fresh_process_month(dsn, db, data, months[0])
    return {"month": first["month"], "history_1_month_mb": first["peak_rss_mb"]}


def _open(dsn: str | None, db: Path) -> Warehouse:
    return PostgresWarehouse(SecretStr(dsn)) if dsn else DuckDBWarehouse(db)


def _worker_month(dsn: str | None, db: Path, data: Path, m: date) -> dict[str, Any]:
    return load_month(_open(dsn, db), data, m)


def run(
    dsn: str | None, db: Path, data: Path, months: list[date], workers: int = 1
) -> dict[str, Any]:
    """Months in order, one at a time (``workers=1``), or as a backfill with ``workers``
    processes loading months at once (writes are serialized by the warehouse's locks)."""
    wh = _open(dsn, db)
    wh.ensure_schema()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    memory = memory_bound(dsn, db, data, months)  # the first month, alone in the warehouse
    t_all = time.perf_counter()
    if workers == 1:
        per_month = [load_month(wh, data, m) for m in months]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            n = len(months)
            per_month = list(pool.map(_worker_month, [dsn] * n, [db] * n, [data] * n, months))
    total = time.perf_counter() - t_all
    again = fresh_process_month(dsn, db, data, months[0])  # same month, whole history present
    memory[f"history_{len(months)}_months_mb"] = again["peak_rss_mb"]
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
    """Every payload over the whole history loaded (plus the SEIA sample), validated."""
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

"""``make bench`` (quick: 3 months) and ``make bench-full`` (12 months on both engines, then
the whole 2017 → today history on DuckDB): bronze speed and size; bronze → silver → gold as
ranged runs, wall and CPU time; the cost of one month and of gold at a short and at the whole
history; a month's run overhead through the functions, `dagster asset materialize` and the
daemon (``bench/overhead.py``); reconstruction accuracy; a research release of the first months
and a researcher's read of it (Polars, DuckDB); the SEC client's politeness on each client state
store; a month's bronze write and silver read on local disk and on an S3 server side by side.
Bronze for the history is written directly from the simulator's answers (``bench/genbronze.py``,
cached in ``bench_out/history``). Writes ``bench_out/bench.json`` and ``bench_out/BENCH.md`` and
prints them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sec_assets.month import Month
from sec_tools.bench.accuracy import bench_accuracy
from sec_tools.bench.bronze import bench_bronze
from sec_tools.bench.conditions import load
from sec_tools.bench.genbronze import generate
from sec_tools.bench.objects import bench_objects, objects_markdown
from sec_tools.bench.overhead import bench_overhead
from sec_tools.bench.overhead import markdown as overhead_markdown
from sec_tools.bench.politeness import bench_politeness
from sec_tools.bench.politeness import markdown as politeness_markdown
from sec_tools.bench.release import release_markdown
from sec_tools.bench.report import markdown
from sec_tools.bench.seed_import import bench_seed_import, seed_import_markdown
from sec_tools.bench.simproc import simulator_process

OUT = Path("bench_out")
QUICK = (Month(2024, 7), 3)  # 2024-07 … 09: the storm month and its neighbours
YEAR = (Month(2024, 3), 12)  # 2024-03 … 2025-02: a winter of storms and a quiet summer
FULL = (Month(2017, 1), 119)  # the whole history, 2017-01 … 2026-11
ACCURACY_QUICK = [Month(2024, 8)]
ACCURACY_FULL = [Month(2024, 8), Month(2025, 2)]  # storm month, quiet month
SEED = 42
PG_ADMIN = os.environ.get("SEC_BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def throwaway_pg():
    import psycopg

    name = f"sec_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"Postgres not reachable, skipping its figures: {' '.join(str(exc).split())}")
        yield None
        return
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_s() -> float:
    """Seconds this machine takes for a Python loop of 10M additions (in a function), best of
    three, measured just before each silver run: the yardstick BENCH.md prints beside its
    figures. On a shared 2-core machine the same code's throughput moved by half within one
    session (docs/benchmarks.md): compare figures taken at a like yardstick."""
    best = float("inf")
    for _ in range(3):
        t0, total = time.perf_counter(), 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return round(best, 2)


def silver_run(
    data: Path,
    dsn: str | None,
    first: Month,
    months: int,
    small_dsn: str | None = None,
    *,
    load_only: bool = False,
) -> dict[str, Any]:
    """bench.silver in its own process (its peak memory is this run's alone). The flat-cost
    probe at 3 months runs in a second warehouse: ``small_dsn`` on Postgres, a second file on
    DuckDB. ``load_only``: the load's figures alone, into a new warehouse (a repeat)."""
    cmd = [sys.executable, "-m", "sec_tools.bench.silver", "--data", str(data)]
    cmd += ["--first", first.label, "--months", str(months)]
    cmd += ["--load-only"] if load_only else []
    db = f"bench_{uuid.uuid4().hex[:6]}.duckdb"
    if dsn:
        cmd += ["--dsn", dsn] + (["--small-dsn", small_dsn] if small_dsn else [])
    else:
        cmd += ["--db", db, "--small-db", db.replace(".duckdb", "_small.duckdb")]
    yardstick = machine_s()
    t0, load_start = time.perf_counter(), load()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"silver bench failed: {proc.stderr[-3000:]}")
    for leftover in data.glob(f"{db.removesuffix('.duckdb')}*"):  # this run's warehouses only
        leftover.unlink()
    out = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    out["process_s"] = round(time.perf_counter() - t0, 1)
    out["machine_s"] = yardstick
    out["load_start"], out["load_end"] = load_start, load()
    return out


def release_run(data: Path, first: Month, months: int) -> dict[str, Any]:
    """bench.release in its own process: the release of the bench's months and a researcher's
    read of it."""
    cmd = [sys.executable, "-m", "sec_tools.bench.release", "--data", str(data)]
    cmd += ["--first", first.label, "--months", str(months)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"release bench failed: {proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


#: Runs of the 12-month load per engine in the full bench, the engines taking turns: the
#: throughput reported is their median (this machine's speed moves by a third within minutes:
#: one run decided by a slow minute proves nothing; docs/benchmarks.md).
LOAD_RUNS = 3


def repeated_loads(
    data: Path, first: Month, months: int, done: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """:data:`LOAD_RUNS` loads of the same months per engine, counting the runs in ``done``
    (one per engine, just measured), each more into a new warehouse, the engines alternating;
    per engine, every run's figures and the median run (by wall time; of two runs, when a
    Postgres database could not be created, the slower)."""
    runs: dict[str, list[dict[str, Any]]] = {r["engine"]: [r] for r in done}
    for i in range(LOAD_RUNS - 1):
        print(f"silver, {months} months again ({i + 2} of {LOAD_RUNS}) …", flush=True)
        runs["duckdb"].append(silver_run(data, None, first, months, load_only=True))
        if "postgres" in runs:
            with throwaway_pg() as dsn:
                if dsn:
                    runs["postgres"].append(silver_run(data, dsn, first, months, load_only=True))
    keep = ("raw_rows_per_s", "seconds", "cpu_s", "machine_s", "load_start", "load_end")
    out = []
    for engine, got in runs.items():
        ordered = sorted(got, key=lambda r: float(r["seconds"]))
        out.append(
            {
                "engine": engine,
                "months": months,
                "raw_rows": got[0]["raw_rows"],
                "median": {k: ordered[len(ordered) // 2][k] for k in keep},
                "runs": [{k: r[k] for k in keep} for r in got],
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    full = "--full" in (argv if argv is not None else sys.argv[1:])
    OUT.mkdir(exist_ok=True)
    history = (OUT / "history").resolve()
    plan = [YEAR, FULL] if full else [QUICK]
    report: dict[str, Any] = {"mode": "full" if full else "quick", "silver": []}
    with simulator_process(SEED) as base_url:
        print("bronze: one month at concurrency 1, 4, 8 …", flush=True)
        report["bronze"] = bench_bronze(base_url)
    wanted = sorted({m for first, n in plan for m in Month.range(first, n)})
    print(f"history: {len(wanted)} months of bronze into {history} (cached) …", flush=True)
    t0 = time.perf_counter()
    generate(history / "bronze", wanted, SEED)
    report["history"] = {"months": len(wanted), "seconds": round(time.perf_counter() - t0, 1)}
    print("run overhead: one month through the functions, the CLI and the daemon …", flush=True)
    report["overhead"] = bench_overhead(history)
    report["throughput"] = []
    for first, n in plan:
        print(f"silver on DuckDB, {n} months …", flush=True)
        these = [silver_run(history, None, first, n)]
        if n <= 12:  # the whole history: DuckDB only
            with throwaway_pg() as dsn, throwaway_pg() as small_dsn:
                if dsn:
                    print(f"silver on Postgres, {n} months …", flush=True)
                    these.append(silver_run(history, dsn, first, n, small_dsn))
            if full:
                report["throughput"] += repeated_loads(history, first, n, these)
        report["silver"] += these
    print("bronze on local disk and on an S3 server, one month …", flush=True)
    report["objects"] = bench_objects(history)
    print("accuracy …", flush=True)
    report["accuracy"] = bench_accuracy(history, ACCURACY_FULL if full else ACCURACY_QUICK, SEED)
    print("seed-archive import …", flush=True)
    report["seed_import"] = bench_seed_import(OUT / "seed_archives", full=full)
    print("research release …", flush=True)
    report["release"] = release_run(history, *plan[0])
    print("politeness on each client state store …", flush=True)
    with throwaway_pg() as dsn:
        report["politeness"] = bench_politeness(dsn)
    (OUT / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    md = "\n".join(
        [
            markdown(report),
            overhead_markdown(report["overhead"]),
            objects_markdown(report["objects"]),
            seed_import_markdown(report["seed_import"]),
            release_markdown(report["release"]),
            politeness_markdown(report["politeness"]),
        ]
    )
    (OUT / "BENCH.md").write_text(md)
    print()
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

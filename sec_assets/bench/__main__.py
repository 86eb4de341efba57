"""``make bench``: bronze speed and size, bronze → silver speed over a year of history on
DuckDB and Postgres, and reconstruction accuracy. Writes ``bench_out/bench.json`` and
``bench_out/BENCH.md`` (the tables quoted in the README) and prints them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sec_assets.bench.accuracy import bench_accuracy
from sec_assets.bench.bronze import bench_bronze, build_history, months_between
from sec_assets.bench.overhead import bench_overhead
from sec_assets.bench.overhead import markdown as overhead_markdown
from sec_assets.bench.seed_import import bench_seed_import, seed_import_markdown
from sec_assets.bench.simproc import simulator_process

OUT = Path("bench_out")
HISTORY_FIRST = date(2024, 3, 1)
HISTORY_MONTHS = 12  # 2024-03 … 2025-02: a winter of storms and a quiet summer
ACCURACY_MONTHS = [date(2024, 8, 1), date(2025, 2, 1)]  # storm month, quiet month
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


def silver_run(data: Path, dsn: str | None, workers: int = 1) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "sec_assets.bench.silver",
        "--data",
        str(data),
        "--first",
        HISTORY_FIRST.strftime("%Y-%m"),
        "--months",
        str(HISTORY_MONTHS),
        "--workers",
        str(workers),
    ]
    if dsn:
        cmd += ["--dsn", dsn]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"silver bench failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(report: dict[str, Any]) -> str:
    b = report["bronze"]
    gold_lines: list[str] = []
    lines = [
        "Bronze, one month (2024-08, 744 hours, storm answers) over loopback HTTP:",
        "",
        "| concurrency | fetch s | requests/s | rows | MB on disk | bytes/hour |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['concurrency']} | {r['fetch_seconds']} | {r['requests_per_second']} | "
        f"{r['rows']:,} | {r['bytes_on_disk'] / 1e6:.2f} | {r['bytes_per_hour']:,} |"
        for r in b["runs"]
    ]
    lines += [
        "",
        f"Collector peak RSS: {b['peak_rss_mb']:.0f} MB.",
        "",
        f"Bronze → silver, {HISTORY_MONTHS} months of hourly history "
        f"({HISTORY_FIRST:%Y-%m} …), month by month:",
        "",
        "| engine | loaders | raw rows | seconds | raw rows/s | s per month (mean / max) | "
        "peak RSS after 1 month / all |",
        "|---|---|---|---|---|---|---|",
    ]
    memory_lines: list[str] = []
    for s in report["silver"]:
        per = [p["total_s"] for p in s["per_month"]]
        gold_lines.append(
            f"| {s['engine']} ({s['workers']} loader{'s' if s['workers'] > 1 else ''}) | "
            f"{s['gold']['seconds']} | "
            + " | ".join(str(v) for v in s["gold"]["per_payload_s"].values())
            + " |"
        )
        mem = s["memory_bound"]
        small, whole = (v for k, v in mem.items() if k != "month")
        memory_lines.append(
            f"| {s['engine']} | {s['workers']} | {mem['month']} | {small:.0f} MB | {whole:.0f} MB |"
        )
        lines.append(
            f"| {s['engine']} | {s['workers']} | {s['raw_rows']:,} | {s['seconds']} | "
            f"{s['raw_rows_per_s']:,} | {sum(per) / len(per):.2f} / {max(per):.2f} | "
            f"{s['peak_rss_mb_after_first_month']:.0f} / {s['peak_rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        "Memory: peak RSS of a fresh process (as each partition run is) re-loading the same month "
        "with the same neighbours, once 3 months are in the warehouse and once all are:",
        "",
        f"| engine | loaders | month | 3 months of history | {HISTORY_MONTHS} months of history |",
        "|---|---|---|---|---|",
        *memory_lines,
    ]
    ids = list(report["silver"][0]["gold"]["per_payload_s"]) if report["silver"] else []
    lines += [
        "",
        f"Gold, every payload computed and validated over the {HISTORY_MONTHS}-month history "
        "(seconds):",
        "",
        "| engine | all | " + " | ".join(ids) + " |",
        "|---" * (len(ids) + 2) + "|",
        *gold_lines,
    ]
    lines += [
        "",
        "Reconstruction accuracy against the simulator's ground truth:",
        "",
        "| month | samples/day | true outages | found | peak error (median / weighted) | "
        "customer-hours error per region (mean / max) |",
        "|---|---|---|---|---|---|",
    ]
    for a in report["accuracy"]:
        lines.append(
            f"| {a['month']} | {a['samples_per_day']} | {int(a['true_outages']):,} | "
            f"{a['found_share']:.1%} | {a['peak_median_rel_error']:+.1%} / "
            f"{a['peak_weighted_abs_rel_error']:.1%} | "
            f"{a['customer_hours_region_mean_abs_rel_error']:.1%} / "
            f"{a['customer_hours_region_max_abs_rel_error']:.1%} |"
        )
    if "seed_import" in report:
        lines.append(seed_import_markdown(report["seed_import"]))
    return "\n".join(lines) + "\n"


def rewrite_markdown() -> None:
    """Re-render BENCH.md from bench.json (no measurement)."""
    (OUT / "BENCH.md").write_text(markdown(json.loads((OUT / "bench.json").read_text())))


def main() -> int:
    OUT.mkdir(exist_ok=True)
    history = (OUT / "history").resolve()
    months = months_between(HISTORY_FIRST, HISTORY_MONTHS)
    report: dict[str, Any] = {}
    with simulator_process(SEED) as base_url:
        print("bronze: one month at concurrency 1, 4, 8 …", flush=True)
        report["bronze"] = bench_bronze(base_url)
        print(f"history: {HISTORY_MONTHS} months into {history} (resumable) …", flush=True)
        report["history"] = build_history(base_url, history, months)
        print("run overhead: one month through `dagster asset materialize` …", flush=True)
        report["overhead"] = bench_overhead(base_url)
    report["silver"] = []
    print("silver on DuckDB …", flush=True)
    for leftover in history.glob("bench_warehouse.duckdb*"):  # a fresh load, not a re-load
        leftover.unlink()
    report["silver"].append(silver_run(history, None))
    with throwaway_pg() as dsn:
        if dsn:
            print("silver on Postgres …", flush=True)
            report["silver"].append(silver_run(history, dsn))
    with throwaway_pg() as dsn:  # a backfill: two partition runs at once (2 cores here)
        if dsn:
            print("silver on Postgres, two loaders …", flush=True)
            report["silver"].append(silver_run(history, dsn, workers=2))
    (history / "bench_warehouse.duckdb").unlink(missing_ok=True)
    print("accuracy …", flush=True)
    report["accuracy"] = bench_accuracy(history, ACCURACY_MONTHS, SEED)
    print("seed-archive import …", flush=True)
    report["seed_import"] = bench_seed_import()
    (OUT / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    md = markdown(report) + "\n" + overhead_markdown(report["overhead"])
    (OUT / "BENCH.md").write_text(md)
    print()
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seed-archive import speed and memory: year files in the seed's shape (legacy rows, 4 points a
day, every point's rows drawn afresh: ``write_bulk_archive(seed=...)``) imported into a fresh
bronze by the CLI in a fresh process. Quick: one year file, one process. Full: four year files
of the seed's average size (~1.6 GB) with ``--jobs`` = the cores, and the wall time that rate
gives the seed's whole 3.7 GB (2017–2025) — an extrapolation, labelled as one.
Reports MB/s (wall, and per CPU second: the figure the code controls on a shared machine),
points/s, the largest peak RSS of one process and the load average beside the wall time."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sec_sim.seed_archive import write_bulk_archive

QUICK_ROWS = 320  # ~205 MB for a year at 4 points a day
FULL_ROWS = 640  # ~411 MB: the seed's 3.7 GB over its nine years
FULL_YEARS = tuple(range(2017, 2021))
SEED_ARCHIVE_MB = 3700  # the seed's 2017–2025 snapshots
SEED = 42


def archives(folder: Path, years: tuple[int, ...], rows: int) -> list[Path]:
    """The year files, generated once into ``folder`` (deterministic: cached by name)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in years:
        path = folder / f"rows{rows}" / f"checkpoint_{year}.json"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_suffix(".part")
            write_bulk_archive(tmp, year, rows, seed=SEED + year)
            tmp.rename(path)
        paths.append(path)
    return paths


def run_import(paths: list[Path], jobs: int) -> dict[str, Any]:
    """The CLI over ``paths`` in a fresh process with ``jobs``; wall, CPU and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="sec_seed_bench_") as tmp:
        cmd = [sys.executable, "-m", "sec_assets.bronze.importer", "--data-dir", tmp]
        cmd += ["--jobs", str(jobs), *map(str, paths)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        load = os.getloadavg()[0]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"seed import bench failed: {proc.stderr[-2000:]}")
    reports = _reports(proc.stdout)
    size = sum(p.stat().st_size for p in paths)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    points = sum(r["points"] for r in reports)
    return {
        "files": len(paths),
        "jobs": jobs,
        "file_mb": round(size / 1e6, 1),
        "points": points,
        "seconds": round(wall, 2),
        "load_avg_1m": round(load, 2),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_mb": round(cpu / (size / 1e6), 4),
        "mb_per_s": round(size / 1e6 / wall, 1),
        "mb_per_cpu_s": round(size / 1e6 / cpu, 1),
        "points_per_s": round(points / wall, 1),
        # the largest of the CLI's and its workers' (ru_maxrss of reaped children, KiB)
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
    }


def _reports(text: str) -> list[dict[str, Any]]:
    """The CLI's reports: one JSON document per file, one after the other."""
    decoder, pos, out = json.JSONDecoder(), 0, []
    while text[pos:].strip():
        doc, pos = decoder.raw_decode(text, len(text) - len(text[pos:].lstrip()))
        out.append(doc)
    return out


def bench_seed_import(out: Path, *, full: bool = False) -> dict[str, Any]:
    quick = run_import(archives(out, (2023,), QUICK_ROWS), jobs=1)
    quick["rows_per_point"] = QUICK_ROWS
    result = {"quick": quick}
    if full:
        cores = os.cpu_count() or 1
        whole = run_import(archives(out, FULL_YEARS, FULL_ROWS), jobs=cores)
        whole["rows_per_point"] = FULL_ROWS
        whole["seed_archive_s_extrapolated"] = round(SEED_ARCHIVE_MB / whole["mb_per_s"], 1)
        result["full"] = whole
    return result


def seed_import_markdown(r: dict[str, Any]) -> str:
    lines = [
        "",
        "Seed-archive import (`sec-seed-import`), year files in the seed's shape with varying "
        "rows, fresh bronze, the CLI in a fresh process (peak RSS: the largest process):",
        "",
        "| files | jobs | MB | points | seconds (load avg) | MB/s | MB per CPU s | CPU s/MB "
        "| points/s | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in ("quick", "full"):
        if key in r:
            x = r[key]
            lines.append(
                f"| {x['files']} | {x['jobs']} | {x['file_mb']:,} | {x['points']:,} | "
                f"{x['seconds']} ({x['load_avg_1m']}) | {x['mb_per_s']} | {x['mb_per_cpu_s']} | "
                f"{x['cpu_s_per_mb']} | {x['points_per_s']} | {x['peak_rss_mb']:.0f} MB |"
            )
    if "full" in r:
        x = r["full"]
        lines += [
            "",
            f"The seed's 3.7 GB at the full run's rate ({x['jobs']} jobs, load "
            f"{x['load_avg_1m']}): {x['seed_archive_s_extrapolated']} s (extrapolated from "
            f"{x['file_mb']:,} MB).",
        ]
    return "\n".join([*lines, ""])

"""Seed-archive import speed and memory: a year file in the seed's shape (~200 MB, legacy rows,
4 points a day) imported into a fresh bronze by the CLI in a fresh process; points/s, MB/s and
peak RSS (VmHWM) against the file's size."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sec_sim.seed_archive import write_bulk_archive

ROWS_PER_POINT = 320  # ~200 MB for a year at 4 points a day
_PEAK = (
    "import sys; from sec_assets.bronze.importer import main; rc = main(sys.argv[1:]); "
    "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0], file=sys.stderr); "
    "sys.exit(rc)"
)


def bench_seed_import(rows_per_point: int = ROWS_PER_POINT) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sec_seed_bench_") as tmp:
        path = Path(tmp) / "checkpoint_2023.json"
        size = write_bulk_archive(path, 2023, rows_per_point)
        cmd = [sys.executable, "-c", _PEAK, "--data-dir", str(Path(tmp) / "data"), str(path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"seed import bench failed: {proc.stderr[-2000:]}")
        report = json.loads(proc.stdout)
        hwm = next(x for x in proc.stderr.splitlines() if x.startswith("VmHWM"))
    return {
        "file_mb": round(size / 1e6, 1),
        "points": report["points"],
        "rows_per_point": rows_per_point,
        "seconds": report["duration_s"],
        "points_per_s": report["points_per_s"],
        "mb_per_s": report["mb_per_s"],
        "peak_rss_mb": round(int(hwm.split()[1]) / 1024, 1),
    }


def seed_import_markdown(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            "",
            "Seed-archive import (`sec-seed-import`), one year file in the seed's shape, "
            "fresh bronze, one process:",
            "",
            "| file MB | points | rows/point | seconds | points/s | MB/s | peak RSS |",
            "|---|---|---|---|---|---|---|",
            f"| {r['file_mb']} | {r['points']:,} | {r['rows_per_point']} | {r['seconds']} | "
            f"{r['points_per_s']} | {r['mb_per_s']} | {r['peak_rss_mb']:.0f} MB |",
            "",
        ]
    )

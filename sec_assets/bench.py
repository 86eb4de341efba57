"""``make bench``: measured figures of the platform, written to ``bench_out/`` and printed.

Bronze: one month (2024-08, the storm month: the largest answers) fetched from the simulator,
which runs in its own process so that the figures are the collector's alone.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.resources import BronzeResource
from sec_assets.sec_client.resource import SecClientResource

OUT = Path("bench_out")


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    sim = Path(sys.executable).with_name("sec-sim")
    proc = subprocess.Popen(
        [str(sim), "serve", "--port", "0", "--seed", "42"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if match := re.search(r"(http://\S+)", line):
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError("sec-sim did not print its URL")


def bench_bronze(base_url: str, work: Path, concurrency: int) -> dict[str, object]:
    data = work / f"data_c{concurrency}"
    resources = {
        "sec_client": SecClientResource(
            base_url=base_url,
            data_dir=str(data),
            max_concurrency=concurrency,
            requests_per_second=10_000,
        ),
        "bronze": BronzeResource(data_dir=str(data)),
    }
    with dg.instance_for_test(temp_dir=str(work / f"dh_c{concurrency}")) as instance:
        t0 = time.perf_counter()
        result = dg.materialize(
            [sec_snapshots], partition_key="2024-08-01", resources=resources, instance=instance
        )
        wall = time.perf_counter() - t0
    [mat] = result.asset_materializations_for_node("sec_snapshots")
    meta: dict[str, Any] = {k: v.value for k, v in mat.metadata.items()}
    return {
        "month": "2024-08",
        "concurrency": concurrency,
        "hours": meta["hours_covered"],
        "rows": meta["rows"],
        "fetch_seconds": meta["duration_s"],
        "materialization_seconds": round(wall, 2),
        "requests_per_second": meta["requests_per_second"],
        "bytes_on_disk": meta["bytes_on_disk"],
        "bytes_per_hour": round(int(meta["bytes_on_disk"]) / int(meta["hours_covered"])),
    }


def main() -> int:
    OUT.mkdir(exist_ok=True)
    proc, base_url = start_simulator()
    try:
        with tempfile.TemporaryDirectory(prefix="sec_bench_") as tmp:
            runs = [bench_bronze(base_url, Path(tmp), c) for c in (1, 4, 8)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {"bronze": runs, "collector_peak_rss_mb": round(peak_mb, 1)}
    (OUT / "bench_bronze.json").write_text(json.dumps(report, indent=2))
    print("Bronze, one month (2024-08, 744 hours) from the simulator over loopback HTTP:")
    print(f"{'concurrency':>11} {'fetch s':>8} {'req/s':>7} {'rows':>9} {'MB on disk':>10}")
    for r in runs:
        mb = int(r["bytes_on_disk"]) / 1e6  # type: ignore[call-overload]
        print(
            f"{r['concurrency']:>11} {r['fetch_seconds']:>8} {r['requests_per_second']:>7} "
            f"{r['rows']:>9,} {mb:>10.2f}"
        )
    print(f"collector peak RSS: {peak_mb:.0f} MB; written to {OUT / 'bench_bronze.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Silver's read of the bench month on local disk, on S3 from an empty cache and on S3 from the
writer's cache, in turn for a number of rounds on one S3 server (moto, own process, loopback):
each round's cold / local ratio, and medians of the wall time and of the CPU of this process
and moto's together, which moves less than the wall time when other processes load the machine.
``python -m sec_tools.bench.objects_alternated HISTORY [ROUNDS]`` (HISTORY holds ``bronze/``,
as ``bench_out/history``); prints one JSON line."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sec_assets import objects
from sec_assets.bronze.object_cache import keep_copy
from sec_assets.bronze.store import BronzeStore, open_store
from sec_assets.files import atomic_write
from sec_assets.objects import ObjectLocation
from sec_tools.bench.objects import MONTH, month_files, moto_process, new_bucket, s3_env, silver

KINDS = ("local", "cold", "warm")


def _cpu_of(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stores(root: Path, endpoint: str, files: dict[str, bytes]) -> tuple[BronzeStore, str]:
    """The month on local disk under ``root``, and in a new bucket with its pack and the
    writer's copies (as a collection leaves them); returns the local store and the URL."""
    for rel, data in files.items():
        atomic_write(root / "local" / rel, data)
    where = ObjectLocation(f"s3://{new_bucket(endpoint)}/month", root / "writer")
    objects.put_many_new(where.url, files)
    for rel, data in files.items():
        keep_copy(where.cache / rel, data)
    open_store(where, "sec_snapshots").pack_month(MONTH.label)
    return BronzeStore(root / "local", "sec_snapshots"), where.url


def alternated(history: Path, rounds: int = 10) -> dict[str, Any]:
    files = month_files(history)
    wall: dict[str, list[float]] = {k: [] for k in KINDS}
    cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    loads = []
    with (
        tempfile.TemporaryDirectory(prefix="sec_obj_alt_") as tmp,
        moto_process() as (ep, pid),
        s3_env(ep),
    ):
        local, url = _stores(Path(tmp), ep, files)
        silver(local)  # imports and first touches, not measured
        for n in range(rounds):
            loads.append(os.getloadavg()[0])
            stores = {
                "local": local,
                "cold": open_store(ObjectLocation(url, Path(tmp) / f"cold{n}"), "sec_snapshots"),
                "warm": open_store(ObjectLocation(url, Path(tmp) / "writer"), "sec_snapshots"),
            }
            for kind in KINDS:
                t0, c0, m0 = time.perf_counter(), time.process_time(), _cpu_of(pid)
                silver(stores[kind])
                wall[kind].append(time.perf_counter() - t0)
                cpu[kind].append(time.process_time() - c0 + _cpu_of(pid) - m0)
    ratios = [c / lo for c, lo in zip(wall["cold"], wall["local"], strict=True)]
    med = {k: round(statistics.median(v), 3) for k, v in wall.items()}
    med_cpu = {k: round(statistics.median(v), 3) for k, v in cpu.items()}
    return {
        "rounds": rounds,
        "wall_median_s": med,
        "cpu_with_moto_median_s": med_cpu,
        "cold_ratios": [round(r, 2) for r in ratios],
        "cold_ratio_median": round(statistics.median(ratios), 2),
        "rounds_over_1_5": sum(r > 1.5 for r in ratios),
        "cpu_cold_ratio": round(med_cpu["cold"] / med_cpu["local"], 2),
        "cpu_warm_ratio": round(med_cpu["warm"] / med_cpu["local"], 2),
        "load": [round(min(loads), 2), round(max(loads), 2)],
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(alternated(Path(args[0]), int(args[1]) if len(args) > 1 else 10)))

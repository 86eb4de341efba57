"""Bronze on local disk and on an S3 server side by side: a month's write and silver's read.

The S3 server is moto's standalone server (``python -m moto.server``) in its own process on
loopback, a real S3 HTTP API. The month is 2024-08 at 24 hours a day (745 files) from the
bench's cached history. Write: every file of the month stored as the store stores an exchange
(local: temporary name, fsync, rename; S3: one conditional PUT each, then the machine's copy),
one after the other; on S3 it ends with the month's pack, as the bronze assets end a month's
write (``bronze/packs.py``). Read: silver's read of the month (``silver.load.read_answers``) and
its transform (``build_month``): on local disk; on S3 from a machine whose cache is empty (the
month's pack fetched); on S3 from the machine that wrote the month (its copies, one listing).
Medians of three."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from sec_assets import objects
from sec_assets.bronze.object_cache import keep_copy
from sec_assets.bronze.packs import PackWrite
from sec_assets.bronze.store import BronzeStore, open_store
from sec_assets.files import atomic_write
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation
from sec_assets.silver.load import read_answers
from sec_assets.silver.transform import build_month

MONTH = Month(2024, 8)
REPEATS = 3
_KEYS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"}


@contextmanager
def s3_server_process() -> Iterator[str]:
    """moto's server in a process of its own; yields its endpoint."""
    with moto_process() as (endpoint, _):
        yield endpoint


@contextmanager
def moto_process() -> Iterator[tuple[str, int]]:
    """moto's server in a process of its own; yields its endpoint and process id."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _median(run: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3)


def silver(store: BronzeStore) -> None:
    answers = read_answers(store, MONTH)
    caps = regions().select("cut_region", pl.col("clientes").alias("customers"))
    build_month(answers, caps, month=MONTH, hours_per_day=24)


def bench_objects(history: Path) -> dict[str, Any]:
    files = month_files(history)
    with (
        tempfile.TemporaryDirectory(prefix="sec_obj_bench_") as tmp,
        s3_server_process() as ep,
        s3_env(ep),
    ):
        return _measure(Path(tmp), files, ep)


def month_files(history: Path) -> dict[str, bytes]:
    """The bench month's bronze files in the history, by key."""
    src = BronzeStore(history / "bronze", "sec_snapshots")
    return {
        p.relative_to(src.root.parent).as_posix(): p.read_bytes()
        for p in src.month_dir(MONTH.label).rglob("*.json.gz")
    }


@contextmanager
def s3_env(endpoint: str) -> Iterator[None]:
    """The bench's keys and ``endpoint`` in the environment for the block."""
    saved = {k: os.environ.get(k) for k in (*_KEYS, "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP")}
    os.environ.update({**_KEYS, "AWS_ENDPOINT_URL": endpoint, "AWS_ALLOW_HTTP": "true"})
    os.environ.setdefault("AWS_REGION", "us-east-1")
    try:
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def new_bucket(endpoint: str) -> str:
    import boto3

    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_aws()).create_bucket(
        Bucket=bucket
    )
    return bucket


def _measure(tmp: Path, files: dict[str, bytes], endpoint: str) -> dict[str, Any]:
    bucket = new_bucket(endpoint)
    local_runs, s3_runs = iter(range(REPEATS)), iter(range(REPEATS))
    packed: list[PackWrite | None] = []

    def write_local() -> None:
        root = tmp / f"local{next(local_runs)}"
        for rel, data in files.items():
            atomic_write(root / rel, data, tmp_name=f".tmp-{uuid.uuid4().hex}")

    def write_s3() -> None:
        where = ObjectLocation(f"s3://{bucket}/w{next(s3_runs)}", tmp / "writer")
        for rel, data in files.items():
            objects.put_new(where.url, rel, data)
            keep_copy(where.cache / rel, data)
        packed.append(open_store(where, "sec_snapshots").pack_month(MONTH.label))

    write_local_s, write_s3_s = _median(write_local), _median(write_s3)
    url = f"s3://{bucket}/w0"
    local = BronzeStore(tmp / "local0", "sec_snapshots")
    warm = open_store(ObjectLocation(url, tmp / "writer"), "sec_snapshots")
    caches = iter(range(REPEATS))

    def cold() -> None:
        silver(open_store(ObjectLocation(url, tmp / f"cold{next(caches)}"), "sec_snapshots"))

    read_local = _median(lambda: silver(local))
    read_cold = _median(cold)
    read_warm = _median(lambda: silver(warm))
    return {
        "month": MONTH.label,
        "files": len(files),
        "bytes": sum(map(len, files.values())),
        "write_local_s": write_local_s,
        "write_s3_s": write_s3_s,
        "pack_members": [p.members for p in packed if p is not None and p.key is not None],
        "silver_local_s": read_local,
        "silver_s3_cold_s": read_cold,
        "silver_s3_warm_s": read_warm,
        "cold_ratio": round(read_cold / read_local, 2),
        "warm_ratio": round(read_warm / read_local, 2),
    }


def _aws() -> dict[str, str]:
    return {
        "aws_access_key_id": _KEYS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": _KEYS["AWS_SECRET_ACCESS_KEY"],
    }


def objects_markdown(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            "",
            "Bronze on local disk and on an S3 server (moto, own process, loopback): "
            f"{r['month']}, {r['files']} files, {r['bytes'] / 1e6:.2f} MB; medians of {REPEATS}:",
            "",
            "| measure | local disk | S3, cold cache | S3, writer's cache | S3 / local |",
            "|---|---|---|---|---|",
            "| month's bronze write, file by file (S3: then its pack) (s) | "
            f"{r['write_local_s']} | "
            f"{r['write_s3_s']} | — | {r['write_s3_s'] / r['write_local_s']:.2f}× |",
            f"| silver: read + transform of the month (s) | {r['silver_local_s']} | "
            f"{r['silver_s3_cold_s']} | {r['silver_s3_warm_s']} | "
            f"{r['cold_ratio']}× cold, {r['warm_ratio']}× warm (target ≤ 1.5×) |",
            "",
        ]
    )

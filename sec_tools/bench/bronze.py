"""Bronze: one month (2024-08, the storm month: the largest answers) fetched from the simulator
over loopback HTTP at several concurrencies; and the multi-month history the silver bench
reads, collected once into ``bench_out/history`` (resumable: a re-run fetches nothing)."""

from __future__ import annotations

import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.collect import collect_month, plan_month
from sec_assets.bronze.customers import collect_customers
from sec_assets.bronze.store import BronzeStore
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets.settings import load_settings
from sec_tools.bench.conditions import measured


def one_month(base_url: str, work: Path, concurrency: int) -> dict[str, Any]:
    data = work / f"data_c{concurrency}"
    resources = local_resources(
        data, base_url=base_url, max_concurrency=concurrency, requests_per_second=10_000
    )
    home = work / f"dh_c{concurrency}"
    home.mkdir(parents=True)
    with dg.instance_for_test(temp_dir=str(home)) as instance, measured() as cost:
        result = dg.materialize(
            [sec_snapshots], partition_key="2024-08", resources=resources, instance=instance
        )
    [mat] = result.asset_materializations_for_node("sec_snapshots")
    meta: dict[str, Any] = {k: v.value for k, v in mat.metadata.items()}
    return {
        "month": "2024-08",
        "concurrency": concurrency,
        "hours": meta["hours_covered"],
        "rows": meta["rows"],
        "fetch_seconds": meta["duration_s"],
        "materialization_seconds": round(cost["wall_s"], 2),
        "cpu_s": cost["cpu_s"],  # the collector's (the simulator runs in its own process)
        "load_start": cost["load_start"],
        "load_end": cost["load_end"],
        "requests_per_second": meta["requests_per_second"],
        "bytes_on_disk": meta["bytes_on_disk"],
        "bytes_per_hour": round(int(meta["bytes_on_disk"]) / int(meta["hours_covered"])),
    }


def bench_bronze(base_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sec_bench_") as tmp:
        runs = [one_month(base_url, Path(tmp), c) for c in (1, 4, 8)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"runs": runs, "peak_rss_mb": round(peak_mb, 1)}


def build_history(base_url: str, data_dir: Path, months: list[Month]) -> dict[str, Any]:
    """Collect every month's snapshots and customers into ``data_dir/bronze`` (resumable)."""
    settings = load_settings(
        base_url=base_url, data_dir=data_dir, max_concurrency=8, requests_per_second=10_000
    )
    snaps = BronzeStore(data_dir / "bronze", "sec_snapshots")
    custs = BronzeStore(data_dir / "bronze", "sec_customers")
    t0 = time.perf_counter()
    fetched = 0

    async def run() -> None:
        nonlocal fetched
        breaker = CircuitBreaker(data_dir / "state" / "bench_breaker.json")
        async with SecClient(settings, breaker) as client:
            for month in months:
                plan = plan_month(month, snaps, now=datetime.now(UTC))
                if plan.missing:
                    report = await collect_month(plan, client, snaps)
                    fetched += report.requested
                key = month.label
                if not custs.latest_good(key):
                    await collect_customers(key, regions(), client, custs)

    asyncio.run(run())
    return {
        "months": len(months),
        "hours_fetched_now": fetched,
        "seconds": round(time.perf_counter() - t0, 1),
    }

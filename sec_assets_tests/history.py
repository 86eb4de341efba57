"""A multi-month history built from the simulator the way the assets build it, fast enough for
the test suite: bronze collected over real HTTP at a few hours per day, silver loaded month by
month, every asset check evaluated on every month (recording its verdict in
``silver.month_checks``), then every gold payload computed, validated and published.

:func:`shared_history` builds one such history once per test session, however many xdist
workers and modules read it (a file lock; the first builds, the others wait), and gives each
reader its own copy of the data folder (a closed DuckDB file is checkpointed: a plain copy is
a consistent database)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sec_assets.bronze.collect import collect_month, plan_month
from sec_assets.bronze.customers import collect_customers
from sec_assets.bronze.store import BronzeStore
from sec_assets.files import file_lock
from sec_assets.gold import local_files, recent
from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.contract import DASHBOARD_IDS, DASHBOARD_TABLE, RESEARCH_IDS, RESEARCH_TABLE
from sec_assets.gold.payloads import validate_payload
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets.silver.checks import CHECKED_ASSETS, check_results
from sec_assets.silver.load import (
    DIMENSIONS,
    load_dimension,
    load_events,
    load_observations,
    load_region_customers,
)
from sec_assets.silver.ranged import range_bounds
from sec_assets.silver.seia import load_seia
from sec_assets.silver.seia_assets import SAMPLE as SEIA_SAMPLE
from sec_assets.warehouse import DuckDBWarehouse
from sec_assets.warehouse.base import Warehouse
from sec_assets_tests.conftest import fast_settings
from sec_sim import SimConfig, run_simulator

#: The 16-month history (2023-11 … 2025-02, the 2024-08 windstorm included) at one sample a
#: day that the dashboard-render and release tests read.
MONTHS16 = Month.range(Month(2023, 11), 16)
HOURS_PER_DAY16 = 1  # midnight: ~750 requests in all
WAREHOUSE = "warehouse.duckdb"


def collect(base_url: str, data_dir: Path, months: list[Month], hours_per_day: int) -> None:
    # Patient timeouts and a breaker that does not open: the test machine may be loaded, and a
    # month must come out whole (a failed hour would fail its coverage check).
    settings = fast_settings(
        base_url, data_dir=data_dir, hours_per_day=hours_per_day, read_timeout_s=60, max_attempts=6
    )
    snaps = BronzeStore(data_dir / "bronze", "sec_snapshots")
    custs = BronzeStore(data_dir / "bronze", "sec_customers")

    async def run() -> None:
        breaker = CircuitBreaker(data_dir / "state" / "sec_breaker.json", failure_threshold=10_000)
        async with SecClient(settings, breaker) as client:
            for month in months:
                now = datetime.now(UTC)
                plan = plan_month(month, snaps, now=now, hours_per_day=hours_per_day)
                await collect_month(plan, client, snaps)
                await collect_customers(month.label, regions(), client, custs)

    asyncio.run(run())


def load_silver(wh: Warehouse, data_dir: Path, months: list[Month], hours_per_day: int) -> None:
    """Month by month as the partition runs do; then every check on every month."""
    wh.ensure_schema()
    snaps = BronzeStore(data_dir / "bronze", "sec_snapshots")
    custs = BronzeStore(data_dir / "bronze", "sec_customers")
    for name in DIMENSIONS:
        load_dimension(wh, name)
    for m in months:
        load_region_customers(wh, custs, m)
        load_observations(wh, snaps, m, hours_per_day=hours_per_day)
        load_events(wh, *range_bounds([m]))
    with wh.session():  # one connection for the 9 x 16 evaluations
        for m in months:
            for asset in CHECKED_ASSETS:
                check_results(asset, wh, m.label, 0.95)


def build_gold(wh: Warehouse, data_dir: Path) -> dict[str, list[dict]]:
    """Every payload as the gold assets compute it, published as ``dashboard_stats`` does
    (JSON files: ``gold/dashboard_stats/`` and ``gold/research_stats/``)."""
    payloads = {}
    load_seia(wh, Path(str(SEIA_SAMPLE)))
    for pid, (compute, _, _) in COMPUTE.items():
        payloads[pid] = validate_payload(pid, compute(wh))
        local_files.write_payload(data_dir, pid, payloads[pid])
    recent.refresh_view(wh)
    payloads["recent_30d"] = validate_payload("recent_30d", recent.recent_30d(wh))
    local_files.write_payload(data_dir, "recent_30d", payloads["recent_30d"])
    sink = local_resources(data_dir)["dashboard"]
    for table, ids in ((DASHBOARD_TABLE, DASHBOARD_IDS), (RESEARCH_TABLE, RESEARCH_IDS)):
        sink.publish({pid: payloads[pid] for pid in ids}, table=table, prune=True)
    return payloads


def build_history16(data_dir: Path) -> None:
    """The 16-month history into ``data_dir``: bronze, silver checked, gold published."""
    with run_simulator(SimConfig(seed=7)) as sim:
        collect(sim.base_url, data_dir, MONTHS16, HOURS_PER_DAY16)
    wh = DuckDBWarehouse(data_dir / WAREHOUSE)
    load_silver(wh, data_dir, MONTHS16, HOURS_PER_DAY16)
    build_gold(wh, data_dir)


def shared_history(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """A private copy of the data folder ``build`` writes, built once per session: under
    xdist the workers share the session's base folder, and the first to take the lock builds
    (each DuckDB connection is closed when ``build`` returns)."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = root / f"shared_{name}"
    with file_lock(root / f"shared_{name}.lock"):
        if not (built / "complete").is_file():
            shutil.rmtree(built, ignore_errors=True)
            build(built / "data")
            (built / "complete").touch()
    mine = factory.mktemp(name) / "data"
    shutil.copytree(built / "data", mine)
    return mine

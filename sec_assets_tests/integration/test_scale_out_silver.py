"""A silver backfill in parallel: three adjacent months loaded at once, each by its own process
(as parallel partition runs do), into one warehouse — Postgres and DuckDB. Every month ends
complete, the silver checks pass (episodes that cross the month edges are one episode, not two
overlapping ones), and the episodes equal those of a sequential load — and that a re-load keeps
episodes longer than the first events window whole."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sec_assets.bronze.collect import collect_month, plan_month
from sec_assets.bronze.customers import collect_customers
from sec_assets.bronze.store import BronzeStore
from sec_assets.masterdata import regions
from sec_assets.month import Month
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
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from sec_assets_tests.conftest import fast_settings
from sec_sim import SimConfig, run_simulator

pytestmark = pytest.mark.deployment

REPO = Path(__file__).resolve().parents[2]
MONTHS = ["2024-07", "2024-08", "2024-09"]
HOURS_PER_DAY = 6  # a quarter of the hours: episodes still span hours, days and month edges
EVENT_COLUMNS = ["evento_id", "first_hour", "last_hour", "peak_customers", "customer_hours"]

LOADER = """
import sys, time
from pathlib import Path
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.silver.load import load_events, load_observations, load_region_customers
from sec_assets.silver.ranged import range_bounds
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse

engine, target, data, month, hours, sync, kept = sys.argv[1:]
wh = DuckDBWarehouse(target) if engine == "duckdb" else PostgresWarehouse(target)
if kept == "kept":  # as a Dagster run does: the schema ensured, then one kept connection
    wh.ensure_schema()
    wh.keep_open(idle_s=1.5)
bronze = Path(data) / "bronze"
Path(sync, "ready-" + month).touch()
while not Path(sync, "go").exists():  # start together
    time.sleep(0.005)
# What the partition runs of region_customers, snapshot_ledger/fact_interrupciones and
# fact_eventos do for the month (sec_assets/silver/assets.py).
m = Month.parse(month)
load_region_customers(wh, BronzeStore(bronze, "sec_customers"), m)
load_observations(wh, BronzeStore(bronze, "sec_snapshots"), m, hours_per_day=int(hours))
load_events(wh, *range_bounds([m]))
wh.release_kept()
"""


@pytest.fixture(scope="module")
def bronze(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of bronze (snapshots at HOURS_PER_DAY, customers) from the simulator."""
    data = tmp_path_factory.mktemp("scale_out_silver") / "data"
    snaps = BronzeStore(data / "bronze", "sec_snapshots")
    custs = BronzeStore(data / "bronze", "sec_customers")
    with run_simulator(SimConfig(seed=7)) as sim:
        settings = fast_settings(sim.base_url, data_dir=data, requests_per_second=5000)

        async def collect() -> None:
            breaker = CircuitBreaker(settings.state_dir / "sec_breaker.json")
            async with SecClient(settings, breaker) as client:
                for m in MONTHS:
                    now = datetime.now(UTC)
                    plan = plan_month(Month.parse(m), snaps, now=now, hours_per_day=HOURS_PER_DAY)
                    await collect_month(plan, client, snaps)
                    await collect_customers(m, regions(), client, custs)

        asyncio.run(collect())
    return data


def seeded(wh: Warehouse) -> Warehouse:
    wh.ensure_schema()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    return wh


def target_of(wh: Warehouse) -> str:
    if isinstance(wh, DuckDBWarehouse):
        return str(wh.path)
    return wh._dsn.get_secret_value()  # type: ignore[attr-defined]


def load_in_parallel(wh: Warehouse, data: Path, sync: Path, *, kept: bool = False) -> None:
    """One process per month, released together once all are ready; ``kept``: each keeps one
    connection, as a Dagster run does (sec_assets/warehouse/kept.py)."""
    sync.mkdir()
    head = [sys.executable, "-c", textwrap.dedent(LOADER), wh.engine, target_of(wh), str(data)]
    procs = [
        subprocess.Popen(
            [*head, m, str(HOURS_PER_DAY), str(sync), "kept" if kept else "per-call"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for m in MONTHS
    ]
    deadline = time.monotonic() + 60
    while not all((sync / f"ready-{m}").exists() for m in MONTHS):
        assert all(p.poll() is None for p in procs), "a loader died before the start"
        assert time.monotonic() < deadline, "the loaders never got ready"
        time.sleep(0.01)
    (sync / "go").touch()
    for m, p in zip(MONTHS, procs, strict=True):
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"{m}: {err[-3000:]}"


def events_of(wh: Warehouse) -> pl.DataFrame:
    cols = ", ".join(EVENT_COLUMNS)
    return wh.read(f"SELECT {cols} FROM silver.fact_eventos ORDER BY evento_id")


def load_month(wh: Warehouse, bronze: Path, month: str) -> None:
    m = Month.parse(month)
    load_region_customers(wh, BronzeStore(bronze / "bronze", "sec_customers"), m)
    load_observations(
        wh, BronzeStore(bronze / "bronze", "sec_snapshots"), m, hours_per_day=HOURS_PER_DAY
    )
    load_events(wh, *range_bounds([m]))


@pytest.fixture(scope="module")
def sequential(
    bronze: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Warehouse, pl.DataFrame]:
    """The same months loaded one after another, in order, in one process; its episodes."""
    wh = seeded(DuckDBWarehouse(tmp_path_factory.mktemp("sequential") / "warehouse.duckdb"))
    for m in MONTHS:
        load_month(wh, bronze, m)
    return wh, events_of(wh)


@pytest.mark.slow
@pytest.mark.parametrize("kept", [False, True], ids=["per-call", "kept"])
@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_three_months_load_at_once_and_stay_whole(
    engine: str,
    kept: bool,
    bronze: Path,
    sequential: tuple[Warehouse, pl.DataFrame],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if engine == "postgres":
        wh: Warehouse = PostgresWarehouse(request.getfixturevalue("pg_database"))
    else:
        wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    seeded(wh)
    # Kept: three processes each holding the DuckDB file between their calls; the episodes
    # lock, taken before the file by all, must not leave two of them waiting on each other.
    load_in_parallel(wh, bronze, tmp_path / "sync", kept=kept)

    for m in MONTHS:
        hours = len(Month.parse(m).hours(HOURS_PER_DAY))
        counts = wh.read(
            "SELECT (SELECT COUNT(*) FROM silver.snapshot_ledger WHERE month = :m) AS ledger, "
            "(SELECT COUNT(*) FROM silver.fact_interrupciones WHERE month = :m) AS facts, "
            "(SELECT COUNT(*) FROM silver.region_customers WHERE month = :m) AS regions, "
            "(SELECT COUNT(*) FROM silver.fact_eventos WHERE month = :m) AS events",
            {"m": m},
        ).row(0, named=True)
        assert counts["ledger"] == hours and counts["regions"] == 16, (m, counts)
        assert counts["facts"] > hours * 20 and counts["events"] > 100, (m, counts)
        failed = {
            r.check_name: r.description
            for asset in CHECKED_ASSETS
            for r in check_results(asset, wh, m, min_coverage=0.95)
            if not r.passed
        }
        assert failed == {}, m

    # Whatever order the three loads took the events lock in, the episodes are those of a
    # sequential load — among them the ones crossing 07/08 and 08/09, stored once.
    got, expected = events_of(wh), sequential[1]
    assert_frame_equal(got, expected, check_dtypes=False)
    crossing = got.filter(pl.col("first_hour").dt.month() != pl.col("last_hour").dt.month())
    assert crossing.height > 0
    # Re-materializing July's episodes changes nothing. On Postgres the months it touches are
    # rewritten whole, each keeping the stored episodes outside the rebuilt span (kept_where).
    load_events(wh, datetime(2024, 7, 1), datetime(2024, 8, 1))
    assert_frame_equal(events_of(wh), expected, check_dtypes=False)


@pytest.mark.slow
def test_reloading_a_month_keeps_long_episodes_whole(
    bronze: Path, sequential: tuple[Warehouse, pl.DataFrame]
) -> None:
    """Re-materializing July's fact_eventos after August's must change nothing — even an
    episode running far past the first window beyond the month's edge (2024-07-31 →
    08-19 here): the window widens until no rebuilt episode reaches its edge."""
    wh, before = sequential
    load_events(wh, datetime(2024, 7, 1), datetime(2024, 8, 1))
    after = events_of(wh)
    assert_frame_equal(after, before, check_dtypes=False)

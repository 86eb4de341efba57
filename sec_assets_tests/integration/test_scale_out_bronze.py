"""Politeness in total: several clients, several processes — a backfill of months run in
parallel — send at most SEC_REQUESTS_PER_SECOND together, because they share one rate limit
(``sec_client/shared_limit.py``) through the client state: the state directory under
SEC_DATA_DIR, or the shared store of SEC_STATE_URL."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.store import BronzeStore
from sec_assets.month import LocalHour, Month
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets.sec_client.shared_limit import STATE_FILE
from sec_assets_tests.conftest import fast_settings
from sec_assets_tests.state_stores import StateBackend

pytestmark = pytest.mark.deployment

REPO = Path(__file__).resolve().parents[2]
PG_CONFIG = REPO / "config" / "dagster_postgres.yaml"


def busiest_window(stamps: list[float], window_s: float = 1.0) -> int:
    """The largest number of stamps in any half-open window [t, t + window_s)."""
    stamps = sorted(stamps)
    best, j = 0, 0
    for i, start in enumerate(stamps):
        j = max(j, i)
        while j < len(stamps) and stamps[j] < start + window_s:
            j += 1
        best = max(best, j - i)
    return best


def fetch_with_two_clients(sim, data: Path, rate: float, shared: bool) -> list[float]:
    """Two clients (as two runs would have), 20 hours each, at once; the send times."""
    settings = fast_settings(
        sim.base_url, data_dir=data, requests_per_second=rate, shared_rate_limit=shared
    )
    hours = [LocalHour(date(2024, 8, 2 + i // 24), i % 24) for i in range(40)]

    async def one_client(part: list[LocalHour]) -> list[float]:
        breaker = CircuitBreaker(settings.state_dir / "sec_breaker.json")
        async with SecClient(settings, breaker) as client:
            results = await asyncio.gather(*(client.fetch_snapshot(h) for h in part))
        assert all(r.ok for r in results)
        # First attempts: a retry after a transport error on a loaded machine is not a send
        # the schedule planned.
        return [r.attempts[0].fetched_at.timestamp() for r in results]

    async def both() -> list[float]:
        a, b = await asyncio.gather(one_client(hours[:20]), one_client(hours[20:]))
        return a + b

    return sorted(asyncio.run(both()))


def test_clients_sharing_a_data_dir_share_the_rate(sim, tmp_path: Path) -> None:
    rate = 40.0
    shared = fetch_with_two_clients(sim, tmp_path / "shared", rate, shared=True)
    assert shared[-1] - shared[0] >= 39 / rate - 0.01  # 40 sends, spaced by 1/rate in total
    assert busiest_window(shared, 0.5) <= rate * 0.5 + rate // 8  # ≤ 250 ms of lateness
    assert (tmp_path / "shared" / "state" / STATE_FILE).is_file()
    # SEC_SHARED_RATE_LIMIT=false: a limiter per client (aiolimiter), no shared schedule.
    private = fetch_with_two_clients(sim, tmp_path / "private", rate, shared=False)
    assert len(private) == 40 and not (tmp_path / "private" / "state" / STATE_FILE).exists()


MONTHS = ["2024-06", "2024-07", "2024-08"]
RATE = 20


def _env(sim, home: Path, data: Path, pg_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        DAGSTER_PG_URL=pg_url,
        SEC_BASE_URL=sim.base_url,
        SEC_DATA_DIR=str(data),
        SEC_HOURS_PER_DAY="2",
        SEC_REQUESTS_PER_SECOND=str(RATE),
        SEC_MAX_CONCURRENCY="4",
        SEC_BACKOFF_INITIAL_S="0.01",
        SEC_BACKOFF_MAX_S="0.05",
    )
    return env


def _materialize(partition: str) -> list[str]:
    dagster = str(Path(sys.executable).with_name("dagster"))
    select = ["--select", "sec_snapshots", "--partition", partition]
    return [dagster, "asset", "materialize", "-m", "sec_assets.definitions", *select]


@pytest.mark.slow
@pytest.mark.postgres
def test_parallel_months_share_the_rate_on_a_postgres_instance(
    sim,
    tmp_path: Path,
    pg_database: str,
    monkeypatch: pytest.MonkeyPatch,
    state_backend: StateBackend,
) -> None:
    """Three ``dagster asset materialize`` processes, one month each, started together on one
    Postgres-backed instance: all succeed, the instance holds the three runs, every month's
    bronze is whole, and together they kept to SEC_REQUESTS_PER_SECOND. On each client state
    store: on files they share one SEC_DATA_DIR; on Postgres and Redis each has its own (as on
    three machines), sharing only the instance and the store.

    The simulator logs no times, so the send times are the clients' own: each stored
    exchange's ``fetched_at`` (taken just after the limiter let it go). The shared limiter
    spaces slots by 1/rate across the processes, so any one-second window holds at most
    ``RATE`` slots; a send is never earlier than its slot but can be later when its process
    is not on a CPU at once (three Dagster processes, two cores), so late sends can bunch
    with on-time ones: we allow a quarter of the rate (up to 250 ms of lateness, seen under a
    loaded CI machine). Per-process limits would reach three times the rate.
    """
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PG_CONFIG, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", pg_database)
    # Create the instance's tables once, before the processes race to.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"

    started = time.monotonic()
    procs = [
        subprocess.Popen(
            _materialize(m),
            env={**_env(sim, home, state_backend.data_dir(i), pg_database), **state_backend.env()},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i, m in enumerate(MONTHS)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    elapsed = time.monotonic() - started
    for m, p, out in zip(MONTHS, procs, outputs, strict=True):
        assert p.returncode == 0, f"{m}: {out[-3000:]}"
        assert "RUN_SUCCESS" in out

    # The runs, their partitions and materializations are in the Postgres instance.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(r.tags.get("dagster/partition") for r in runs) == MONTHS
        assert all(r.is_success for r in runs)
        records = instance.fetch_materializations(dg.AssetKey("sec_snapshots"), limit=10).records
        assert sorted(r.partition_key for r in records) == MONTHS
        for r in records:
            assert r.asset_materialization is not None
            assert r.asset_materialization.metadata["coverage"].value == 1.0

    # Every month's bronze is whole: each sampled hour once, and the server time.
    stamps: dict[str, list[float]] = {}
    for i, m in enumerate(MONTHS):
        store = BronzeStore(state_backend.data_dir(i) / "bronze", "sec_snapshots")
        month = m[:7]
        expected = {h.key for h in Month.parse(m).hours(2)}
        versions = store.versions(month)
        assert set(versions) == expected | {"server_time"}
        assert set(versions.values()) == {1}
        stamps[month] = [f.fetched_at.timestamp() for f in store.files(month)]
    every = sorted(t for ts in stamps.values() for t in ts)
    assert len(every) == len(sim.request_log())  # every request sent is stored
    # On a shared store nothing of the client state is a file.
    local_state = [state_backend.data_dir(i) / "state" / STATE_FILE for i in range(3)]
    assert any(p.exists() for p in local_state) == (not state_backend.shared)

    # The processes overlapped, and together kept to the rate.
    assert max(min(ts) for ts in stamps.values()) < min(max(ts) for ts in stamps.values())
    assert every[-1] - every[0] >= (len(every) - 1) / RATE - 0.05
    busiest = busiest_window(every)
    print(
        f"\n{len(every)} requests from 3 processes in {every[-1] - every[0]:.2f} s "
        f"(wall {elapsed:.1f} s); busiest 1-s window: {busiest} (limit {RATE})"
    )
    assert busiest <= RATE + RATE // 4

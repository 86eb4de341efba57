"""The breaker against the simulator (issue 11.4, issue 9.5): the probe is the endpoint that
failed, a killed prober's claim expires after the probe timeout setting, waiting requests neither
spin nor write, and the refusal says when it half-opens and how to reset it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sec_assets.bronze.collect import CollectReport, collect_month, plan_month
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import LocalHour, Month
from sec_assets.sec_client.breaker import BreakerState, CircuitBreaker, PersistedState
from sec_assets.sec_client.client import SecClient
from sec_assets.sec_client.errors import SecCircuitOpenError
from sec_assets.sec_client.resource import SecClientResource
from sec_assets_tests.conftest import fast_settings
from sec_assets_tests.state_stores import StateBackend
from sec_sim import FaultRule

NOW = datetime(2024, 9, 10, tzinfo=UTC)
HOURS = [LocalHour(date(2024, 8, 2), h) for h in range(6)]
# The simulator's first answers of a month can take seconds on a loaded machine: well above it.
READ_TIMEOUT_S = 60
REPO = Path(__file__).resolve().parents[2]


class CountingBreaker(CircuitBreaker):
    """A real breaker that counts its reads of the state file and its writes of it."""

    reads = 0
    writes = 0

    def _read(self) -> PersistedState:
        self.reads += 1
        return super()._read()

    @contextmanager
    def _locked(self) -> Iterator[PersistedState]:
        before = self.path.stat().st_ino if self.path.exists() else None
        with super()._locked() as data:
            yield data
        if (self.path.stat().st_ino if self.path.exists() else None) != before:
            self.writes += 1


def later(seconds: float):
    return lambda: time.time() + seconds


def requests(sim, endpoint: str) -> int:
    return sum(1 for entry in sim.request_log() if entry[0] == endpoint)


def collect(sim, data: Path, breaker: CircuitBreaker) -> CollectReport:
    settings = fast_settings(sim.base_url, max_attempts=3, read_timeout_s=READ_TIMEOUT_S)
    store = BronzeStore(data / "bronze", "sec_snapshots")
    plan = plan_month(Month(2024, 8), store, now=NOW, hours_per_day=1)

    async def run() -> CollectReport:
        async with SecClient(settings, breaker) as client:
            return await collect_month(plan, client, store)

    return asyncio.run(run())


def test_only_a_getporfecha_probe_is_sent_per_cooldown(sim, tmp_path: Path) -> None:
    """GetHoraServer answers while GetPorFecha fails: before, the server-time request was the
    probe, closed the breaker, and ~9 GetPorFecha requests followed every cooldown."""
    sim.set_faults([FaultRule(kind="http_503")])  # GetPorFecha only
    path = tmp_path / "breaker.json"
    first = collect(sim, tmp_path, CircuitBreaker(path))
    assert len(first.failed) == 31
    opened = CircuitBreaker(path)
    assert opened.state is BreakerState.OPEN and opened.tripped_by() == "GetPorFecha"

    for cooldowns in (1, 2, 3):
        sim.reset_log()
        later_breaker = CircuitBreaker(path, clock=later(1800.0 * cooldowns + 1))
        report = collect(sim, tmp_path, later_breaker)
        assert requests(sim, "GetPorFecha") == 1, cooldowns  # the probe, nothing else
        assert requests(sim, "GetHoraServer") == 0  # waited for the probe's verdict
        assert later_breaker.state is BreakerState.OPEN
        refusals = [r.error for r in report.results.values() if r.attempts == []]
        assert len(refusals) == 30 and all(isinstance(e, SecCircuitOpenError) for e in refusals)

    sim.set_faults([])  # the service recovers: the probe succeeds and the month goes on
    sim.reset_log()
    healed = CircuitBreaker(path, clock=later(1800.0 * 4 + 1))
    report = collect(sim, tmp_path, healed)
    assert healed.state is BreakerState.CLOSED and report.failed == {}
    assert report.server_time is not None


def test_a_success_of_another_endpoint_does_not_close_it(tmp_path: Path) -> None:
    breaker = CircuitBreaker(tmp_path / "b.json", failure_threshold=2, cooldown_s=0)
    breaker.record_failure("http_503", "GetPorFecha")
    breaker.record_failure("http_503", "GetPorFecha")
    assert breaker.allow_request("GetHoraServer") is False  # not the endpoint to probe
    breaker.record_success("GetHoraServer")
    assert breaker.tripped_by() == "GetPorFecha" and breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow_request("GetPorFecha") is True
    breaker.record_success("GetPorFecha")
    assert breaker.state is BreakerState.CLOSED


def _claim_probe_elsewhere(path: Path, timeout_s: float) -> float:
    """Open the breaker long ago (cooled), and let 'another process' claim the probe now."""
    past = CircuitBreaker(path, clock=later(-4000))
    for _ in range(5):
        past.record_failure("http_503: GetPorFecha", "GetPorFecha")
    other = CircuitBreaker(path, probe_timeout_s=timeout_s)
    assert other.allow_request("GetPorFecha") is True
    return json.loads(path.read_text())["probe_started_at"] + timeout_s


def test_waiting_for_a_probe_neither_spins_nor_writes(sim, tmp_path: Path) -> None:
    """Before: every waiting request polled every 50 ms and rewrote the state file (~800
    writes/s). Now: read-only polls with backoff, shared by the client's requests; the only
    writes are the new probe's claim and its success."""
    settings = fast_settings(sim.base_url, max_concurrency=4, read_timeout_s=READ_TIMEOUT_S)

    def run(breaker: CircuitBreaker):
        async def fetch_all():
            async with SecClient(settings, breaker) as client:
                return await asyncio.gather(*(client.fetch_snapshot(h) for h in HOURS * 4))

        return asyncio.run(fetch_all())

    run(CircuitBreaker(tmp_path / "warm.json"))  # the simulator's month, computed once
    path = tmp_path / "breaker.json"
    deadline = _claim_probe_elsewhere(path, timeout_s=1.5)
    mtime = path.stat().st_mtime_ns
    breaker = CountingBreaker(path, probe_timeout_s=1.5)
    results = run(breaker)
    assert all(r.ok for r in results) and breaker.state is BreakerState.CLOSED
    first_sent = min(a.fetched_at for r in results for a in r.attempts)
    assert first_sent.timestamp() >= deadline  # nobody went before the claim expired
    # the expired claim taken over, then closed by its success (one more claim only if that
    # probe outlived its own 1.5 s claim on a loaded machine): never a write while waiting
    assert 2 <= breaker.writes <= 3
    assert path.stat().st_mtime_ns != mtime
    # 24 requests waited ~1.5 s; at the old 50 ms each would have read (and written) ~30 times
    assert breaker.reads < 24 * 5, breaker.reads


PROBER = """
import asyncio, sys
from datetime import date
from sec_assets.month import LocalHour
from sec_assets.sec_client.client import SecClient
from sec_assets.sec_client.resource import SecClientResource
from sec_assets.settings import load_settings

async def main():
    settings = load_settings(base_url=sys.argv[1], read_timeout_s=300, max_attempts=1)
    async with SecClient(settings, SecClientResource().breaker()) as client:
        await client.fetch_snapshot(LocalHour(date(2024, 8, 2), 0))

asyncio.run(main())
"""


def test_a_killed_probe_blocks_only_until_its_claim_expires(
    sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_backend: StateBackend
) -> None:
    """Before: a prober killed with -9 blocked every run for the hard-coded 600 s. The probe
    timeout is now the setting SEC_BREAKER_PROBE_TIMEOUT_S. On every client state store; on a
    shared one the prober has a data folder of its own (another machine)."""
    monkeypatch.setenv("SEC_BREAKER_PROBE_TIMEOUT_S", "2")
    breaker = SecClientResource().breaker()
    assert breaker.probe_timeout_s == 2.0
    past = CircuitBreaker(breaker.cell, clock=later(-4000))
    for _ in range(5):
        past.record_failure("http_503: GetPorFecha", "GetPorFecha")
    sim.set_faults([FaultRule(kind="hang", hours=["2024-08-02T00"])])

    env = dict(os.environ)
    if state_backend.shared:
        env["SEC_DATA_DIR"] = str(state_backend.data_dir(1))
    prober = subprocess.Popen([sys.executable, "-c", PROBER, sim.base_url], env=env, cwd=tmp_path)
    try:
        for _ in range(600):  # the prober claims the probe, then hangs on its request
            if (breaker.cell.load() or {}).get("probe_started_at"):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the prober never claimed the probe")
        claim = (breaker.cell.load() or {})["probe_started_at"]
        while requests(sim, "GetPorFecha") == 0 and prober.poll() is None:
            time.sleep(0.05)  # mid-probe: its request is at the service
    finally:
        prober.send_signal(signal.SIGKILL)
        prober.wait(timeout=60)
    sim.set_faults([])

    settings = fast_settings(sim.base_url, read_timeout_s=READ_TIMEOUT_S)

    async def run():
        async with SecClient(settings, breaker) as client:
            return await asyncio.gather(*(client.fetch_snapshot(h) for h in HOURS[1:]))

    results = asyncio.run(run())
    assert all(r.ok for r in results) and breaker.state is BreakerState.CLOSED
    first_sent = min(a.fetched_at for r in results for a in r.attempts)
    assert first_sent.timestamp() >= claim + 2.0


def test_the_refusal_says_when_it_half_opens_and_how_to_reset(sim, tmp_path: Path) -> None:
    breaker = CircuitBreaker(tmp_path / "breaker.json")
    for _ in range(5):
        breaker.record_failure("http_404: GetPorFecha", "GetPorFecha")

    async def run():
        async with SecClient(fast_settings(sim.base_url), breaker) as client:
            return await client.fetch_snapshot(HOURS[0])

    result = asyncio.run(run())
    message = str(result.error)
    assert isinstance(result.error, SecCircuitOpenError) and result.attempts == []
    assert "half-opens at" in message and "cooldown 1800 s" in message
    assert "python -m sec_assets reset-breaker" in message and "make reset-breaker" in message
    assert "GetPorFecha" in message and "http_404" in message


def test_the_reset_verb_closes_the_breaker(tmp_path: Path) -> None:
    breaker = SecClientResource().breaker()
    for _ in range(5):
        breaker.record_failure("http_404: GetPorFecha", "GetPorFecha")
    assert breaker.state is BreakerState.OPEN
    done = subprocess.run(
        [sys.executable, "-m", "sec_assets", "reset-breaker"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    assert "before: SEC circuit breaker is OPEN" in done.stdout
    assert "after:  SEC circuit breaker is closed" in done.stdout
    assert breaker.state is BreakerState.CLOSED

    for _ in range(5):  # and as the README says: make reset-breaker
        breaker.record_failure("http_404: GetPorFecha", "GetPorFecha")
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path / "home"))
    made = subprocess.run(
        ["make", "-s", "-C", str(REPO), "reset-breaker"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert "before: SEC circuit breaker is OPEN" in made.stdout
    assert breaker.state is BreakerState.CLOSED


def test_the_probe_timeout_default_follows_the_read_timeout() -> None:
    from sec_assets.settings import load_settings

    assert load_settings().probe_timeout_s == 2 * 120.0 + 10.0
    assert load_settings(read_timeout_s=30).probe_timeout_s == 70.0
    assert load_settings(breaker_probe_timeout_s=5).probe_timeout_s == 5.0

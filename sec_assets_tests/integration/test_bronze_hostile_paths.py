"""Bronze through the asset (``dg.materialize``) on paths the service or the operator make
hostile: an error of ours mid-month, a misconfigured base URL, two runs of one month at once,
a killed run's temporary files, and progress while a month is fetched (issues 9 and 11)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.collect import collect_month, plan_month
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.sec_client import client as client_module
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets_tests.conftest import fast_settings
from sec_assets_tests.state_stores import StateBackend
from sec_sim import FaultRule

PARTITION = MONTH = "2024-08"  # the partition key is the label
HOURS = 124  # 4 hours a day


def _resources(base_url: str, data: Path, **client: object) -> dict:
    options: dict[str, object] = {
        "max_concurrency": 8,
        "requests_per_second": 2000,
        "max_attempts": 3,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "read_timeout_s": 20,
    }
    options.update(client)
    return local_resources(data, base_url=base_url, hours_per_day=4, **options)


_INSTANCES: dict[str, dg.DagsterInstance] = {}  # run id → its instance (to read its logs)


def _materialize(base_url: str, data: Path, **client: object):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [sec_snapshots],
        partition_key=PARTITION,
        resources=_resources(base_url, data, **client),
        raise_on_error=False,
        instance=instance,
    )
    _INSTANCES[result.run_id] = instance
    return result


def _breaker(data: Path) -> dict:
    return local_resources(data)["sec_client"].breaker().snapshot()


def _messages(result) -> list[str]:
    """What the run logged (``context.log``), as the UI shows it."""
    return [entry.user_message for entry in _INSTANCES[result.run_id].all_logs(result.run_id)]


def _failure(result) -> str:
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return event.step_failure_data.user_failure_data.description  # type: ignore[union-attr]


def test_an_error_of_ours_is_stored_for_its_hour_and_never_a_service_failure(
    sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: an exception in our validation (``int(nan)``) aborted the month's gather, closed
    the client under the requests in flight, and their errors opened the breaker."""
    real = client_module.validate_snapshot
    bad_hours = {f"{MONTH}-0{d}T12" for d in range(1, 7)}  # more than the breaker's threshold

    def validate(body: bytes, *, hour: str | None, endpoint: str = "GetPorFecha"):
        if hour in bad_hours:
            raise ValueError("cannot convert float NaN to integer")
        return real(body, hour=hour, endpoint=endpoint)

    monkeypatch.setattr(client_module, "validate_snapshot", validate)
    data = tmp_path / "data"
    result = _materialize(sim.base_url, data, max_attempts=3)
    assert result.success  # 118 of 124 hours: the month completes
    store = BronzeStore(data / "bronze", "sec_snapshots")
    outcomes = {f.key: f.outcome for f in store.files(MONTH) if f.key in bad_hours}
    assert outcomes == dict.fromkeys(bad_hours, "internal_error")  # stored, once, not retried
    assert len(store.latest_good(MONTH)) == HOURS - len(bad_hours) + 1  # + server_time
    assert _breaker(data)["state"] == "closed" and _breaker(data)["consecutive_failures"] == 0


def test_a_failing_write_never_closes_the_client_under_requests_in_flight(
    sim, tmp_path: Path
) -> None:
    settings = fast_settings(sim.base_url, data_dir=tmp_path)
    store = BronzeStore(tmp_path / "bronze", "sec_snapshots")
    broken = f"{MONTH}-02T00"
    real_write = store.write

    def write(month: str, attempt):  # a full disk for one hour only
        if attempt.key == broken:
            raise OSError(28, "No space left on device")
        return real_write(month, attempt)

    store.write = write  # type: ignore[method-assign]
    plan = plan_month(Month(2024, 8), store, now=datetime.now(UTC), hours_per_day=4)

    async def run() -> None:
        breaker = CircuitBreaker(tmp_path / "breaker.json")
        async with SecClient(settings, breaker) as client:
            await collect_month(plan, client, store)

    with pytest.raises(OSError, match="No space left"):
        asyncio.run(run())
    # Every other hour finished and was stored; nothing failed for the service's sake.
    assert len(store.latest_good(MONTH)) == HOURS - 1 + 1  # + server_time
    assert CircuitBreaker(tmp_path / "breaker.json").snapshot()["consecutive_failures"] == 0


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("{root}", "HTTP 404"),  # the simulator's root, as an old README row said
        ("http://sec-sim.invalid/INTONLINEv1/ClientesAfectados", "does not resolve"),
        ("ftp://127.0.0.1/INTONLINEv1/ClientesAfectados", "http(s)"),
    ],
)
def test_a_misconfigured_base_url_fails_fast_with_one_message(
    sim, tmp_path: Path, url: str, words: str
) -> None:
    data = tmp_path / "data"
    root = sim.base_url.split("/INTONLINEv1")[0]
    sim.reset_log()
    result = _materialize(url.format(root=root), data)
    assert not result.success
    message = _failure(result)
    assert "SEC_BASE_URL" in message and words in message
    assert "<html" not in message.lower() and message.count("SEC_BASE_URL") == 1
    assert len(sim.request_log()) <= 9  # at most the first wave in flight, not 124 × retries
    breaker = _breaker(data)
    assert breaker["state"] == "closed" and breaker["consecutive_failures"] == 0
    if words == "HTTP 404":  # fixing the URL works at once: no 30-minute lockout
        assert _materialize(sim.base_url, data).success


def test_two_runs_of_one_month_request_each_hour_once(
    sim, tmp_path: Path, state_backend: StateBackend
) -> None:
    """On every client state store: the month's lock is in the store (no lock file on a
    shared one), so the second run waits and then asks for nothing."""
    data = tmp_path / "data"
    sim.set_faults([FaultRule(kind="slow", delay_s=0.05)])
    first: list = []
    runner = threading.Thread(
        target=lambda: first.append(_materialize(sim.base_url, data, max_concurrency=2))
    )
    runner.start()
    deadline = time.monotonic() + 120
    while len(sim.request_log()) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)  # the first run is collecting (it holds the month's lock)
    second = _materialize(sim.base_url, data, max_concurrency=2)
    runner.join(timeout=300)
    assert first[0].success and second.success
    asked = [e for e in sim.request_log() if e[0] == "GetPorFecha"]
    assert len(asked) == HOURS and len({e[1] for e in asked}) == HOURS
    assert any("another run is collecting" in m for m in _messages(second))
    [mat] = second.asset_materializations_for_node("sec_snapshots")
    assert mat.metadata["hours_requested"].value == 0
    assert (data / "state" / "locks").exists() == (not state_backend.shared)


def test_a_killed_runs_temporary_files_are_removed_at_the_next_run(sim, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _materialize(sim.base_url, data).success
    hour_dir = data / "bronze/sec_snapshots" / f"month={MONTH}" / f"{MONTH}-03T06"
    orphans = [hour_dir / ".tmp-0123abcd", hour_dir / ".x.json.gz.4567.tmp"]
    for orphan in orphans:
        orphan.write_bytes(b"half a file")
    result = _materialize(sim.base_url, data)
    assert result.success and not any(p.exists() for p in orphans)
    [mat] = result.asset_materializations_for_node("sec_snapshots")
    assert mat.metadata["orphans_removed"].value == 2


def test_progress_is_logged_at_info_while_a_month_is_fetched(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="slow", delay_s=0.05)])
    result = _materialize(
        sim.base_url, tmp_path / "data", max_concurrency=2, progress_interval_s=0.5
    )
    assert result.success
    lines = [m for m in _messages(result) if "hours done" in m]
    assert lines, "no progress line"
    assert all(
        f"/{HOURS} hours done" in m
        and "failed so far" in m
        and "requests/s" in m
        and "ETA" in m
        and "breaker closed" in m
        for m in lines
    )

"""The SEC client over real HTTP against the simulator, one injected fault class at a time."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from sec_assets.month import LocalHour
from sec_assets.sec_client.breaker import BreakerState, CircuitBreaker
from sec_assets.sec_client.client import FetchResult, SecClient
from sec_assets.sec_client.errors import (
    SecCircuitOpenError,
    SecHttpError,
    SecInvalidBodyError,
    SecSchemaError,
    SecTransportError,
)
from sec_assets_tests.conftest import fast_settings
from sec_sim import FaultRule

HOUR = LocalHour(date(2024, 8, 2), 12)


def fetch(
    sim, tmp_path: Path, *hours: LocalHour, **over: object
) -> tuple[list[FetchResult], list[float], CircuitBreaker]:
    settings = fast_settings(sim.base_url, **over)
    breaker = CircuitBreaker(tmp_path / "breaker.json")
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async def run() -> list[FetchResult]:
        async with SecClient(settings, breaker, sleep=record) as client:
            return [await client.fetch_snapshot(h) for h in hours or (HOUR,)]

    return asyncio.run(run()), sleeps, breaker


def getporfecha_requests(sim) -> int:
    return sum(1 for entry in sim.request_log() if entry[0] == "GetPorFecha")


def test_storm_hour_is_fetched_and_validated(sim, tmp_path: Path) -> None:
    [result], sleeps, _ = fetch(sim, tmp_path)
    assert result.ok and sleeps == []
    assert result.value.era == "current" and len(result.value.rows) > 100
    [attempt] = result.attempts
    assert attempt.http_status == 200 and attempt.outcome == "ok"
    assert attempt.customers == result.value.customers and attempt.body


@pytest.mark.parametrize("kind", ["http_500", "http_503"])
def test_server_errors_are_retried_with_backoff(sim, tmp_path: Path, kind: str) -> None:
    sim.set_faults([FaultRule(kind=kind, times=2)])
    [result], sleeps, _ = fetch(sim, tmp_path)
    assert result.ok
    assert [a.outcome for a in result.attempts] == [kind, kind, "ok"]
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)


def test_429_honours_retry_after(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="http_429", times=1, retry_after_s=7)])
    [result], sleeps, _ = fetch(sim, tmp_path, retry_after_max_s=300)
    assert result.ok and sleeps == [7.0]
    assert result.attempts[0].headers.get("retry-after") == "7"


def test_403_is_not_retried(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="http_403")])
    [result], sleeps, _ = fetch(sim, tmp_path)
    assert isinstance(result.error, SecHttpError) and result.error.status == 403
    assert len(result.attempts) == 1 and sleeps == []
    assert "GetPorFecha hour=2024-08-02T12" in str(result.error)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("reset", SecTransportError),
        ("html", SecInvalidBodyError),
        ("truncated", SecInvalidBodyError),
    ],
)
def test_transient_faults_recover(sim, tmp_path: Path, kind: str, error: type) -> None:
    sim.set_faults([FaultRule(kind=kind, times=1)])
    [result], _, _ = fetch(sim, tmp_path)
    assert result.ok, result.error
    assert result.attempts[0].outcome == error.kind
    assert result.attempts[-1].outcome == "ok"


def test_hanging_answer_times_out_and_is_retried(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="hang", times=1)])
    [result], _, _ = fetch(sim, tmp_path, read_timeout_s=0.5)
    assert result.ok
    assert result.attempts[0].outcome == "transport_error"
    assert "Timeout" in (result.attempts[0].error or "")


def test_persistent_html_fails_loudly_never_as_empty(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="html")])
    [result], _, _ = fetch(sim, tmp_path, max_attempts=3)
    assert isinstance(result.error, SecInvalidBodyError)
    assert result.value is None and len(result.attempts) == 3
    assert "<" in result.error.snippet


@pytest.mark.parametrize("kind", ["drift_missing_field", "drift_renamed_field"])
def test_schema_drift_is_a_typed_error_without_retry(sim, tmp_path: Path, kind: str) -> None:
    sim.set_faults([FaultRule(kind=kind)])
    [result], sleeps, breaker = fetch(sim, tmp_path)
    assert isinstance(result.error, SecSchemaError) and sleeps == []
    assert len(result.attempts) == 1 and result.attempts[0].body  # the raw answer is kept
    assert breaker.state is BreakerState.CLOSED


def test_empty_hour_is_a_valid_answer(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="empty")])
    [result], _, _ = fetch(sim, tmp_path)
    assert result.ok and result.value.era == "empty"
    assert result.attempts[0].outcome == "empty"


def test_breaker_opens_after_five_failed_attempts_and_stops_sending(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="http_503")])
    hours = [LocalHour(date(2024, 8, 2), h) for h in range(8)]
    results, _, breaker = fetch(sim, tmp_path, *hours, max_attempts=2)
    assert [len(r.attempts) for r in results] == [2, 2, 1, 0, 0, 0, 0, 0]
    assert [type(r.error) for r in results[:2]] == [SecHttpError] * 2
    assert all(isinstance(r.error, SecCircuitOpenError) for r in results[2:])
    assert getporfecha_requests(sim) == 5
    assert breaker.state is BreakerState.OPEN


def test_a_success_resets_the_count(sim, tmp_path: Path) -> None:
    sim.set_faults([FaultRule(kind="http_503", hours=["2024-08-02T00", "2024-08-02T02"])])
    hours = [LocalHour(date(2024, 8, 2), h) for h in range(4)]
    results, _, breaker = fetch(sim, tmp_path, *hours, max_attempts=4)
    assert [r.ok for r in results] == [False, True, False, True]
    assert breaker.state is BreakerState.CLOSED

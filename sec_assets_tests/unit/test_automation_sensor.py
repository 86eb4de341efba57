"""incomplete_months_sensor over a crafted bronze tree in a temporary SEC_DATA_DIR.

One sampled hour per day (``SEC_HOURS_PER_DAY=1``: local midnight) keeps the months small; the
clock is 15 Sep 2024 12:00 UTC, so September is the open month.
"""

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.automation import build_incomplete_months_sensor
from sec_assets.automation.coverage import ScanCursor, customer_keys, month_coverage
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.exchange import Attempt

NOW = datetime(2024, 9, 15, 12, 0, tzinfo=UTC)
FETCHED = datetime(2024, 9, 15, 11, 0, tzinfo=UTC)


def attempt(key: str, outcome: str = "ok", endpoint: str = "GetPorFecha") -> Attempt:
    body = None if outcome.startswith("http") else b"[]"
    status = 503 if body is None else 200
    return Attempt(endpoint, "http://x", {}, key, 1, FETCHED, 5.0, status, {}, body, outcome)


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SEC_HOURS_PER_DAY", "1")
    return Path(os.environ["SEC_DATA_DIR"])  # a tmp dir, set by conftest


def fill(data_dir: Path, month: date, *, skip_hours: int = 0, customers: bool = True) -> None:
    """Bronze for ``month``: every due hour but the last ``skip_hours`` (which get a failed
    attempt instead), and every customer key when ``customers``."""
    snaps = BronzeStore(data_dir / "bronze", "sec_snapshots")
    label = Month.containing(month).label
    due = [h for h in Month.containing(month).hours(1) if h.start_utc <= NOW - timedelta(hours=2)]
    for i, h in enumerate(due):
        failed = i >= len(due) - skip_hours
        snaps.write(label, attempt(h.key, "http_503" if failed else "ok"))
    if customers:
        store = BronzeStore(data_dir / "bronze", "sec_customers")
        for key in customer_keys():
            store.write(label, attempt(key, endpoint="GetClientesRegional"))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as inst:
        yield inst


def evaluate(
    instance: dg.DagsterInstance, cursor: str | None = None, *, now: datetime = NOW, **kw
) -> dg.SensorResult:
    kw.setdefault("horizon_months", 3)
    sensor = build_incomplete_months_sensor(clock=lambda: now, **kw)
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=local_resources()
    ) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def requested(result: dg.SensorResult) -> list[tuple[str | None, str | None]]:
    return [(r.partition_key, r.run_key) for r in result.run_requests or []]


def skip_message(result: dg.SensorResult) -> str:
    assert not result.run_requests and result.skip_reason is not None
    return result.skip_reason.skip_message or ""


def in_flight(instance: dg.DagsterInstance, partition: str, status=dg.DagsterRunStatus.STARTED):
    run = dg.DagsterRun(
        job_name="monthly_pipeline", status=status, tags={"dagster/partition": partition}
    )
    instance.add_run(run)


def test_incomplete_month_is_requested_and_complete_ones_are_not(
    data_dir: Path, instance: dg.DagsterInstance
) -> None:
    fill(data_dir, date(2024, 7, 1))  # complete
    fill(data_dir, date(2024, 8, 1), skip_hours=3)  # 3 hours failed
    fill(data_dir, date(2024, 9, 1))  # open month, complete up to now - grace
    result = evaluate(instance)
    assert requested(result) == [("2024-08", "2024-08:3")]
    tags = result.run_requests[0].tags  # type: ignore[index]
    assert tags["sec_assets/missing_hours"] == "3" and tags["sec_assets/missing_customers"] == "0"

    cursor = ScanCursor.parse(result.cursor)
    assert cursor.evaluated_at == NOW.timestamp()
    assert cursor.complete == {"2024-07"}  # closed and complete: not listed again
    assert cursor.launched["2024-08"].missing == 3


def test_the_same_work_is_never_launched_twice_and_retried_after_a_while(
    data_dir: Path, instance: dg.DagsterInstance
) -> None:
    fill(data_dir, date(2024, 7, 1))
    fill(data_dir, date(2024, 8, 1), skip_hours=3)
    fill(data_dir, date(2024, 9, 1))
    first = evaluate(instance)
    again = evaluate(instance, first.cursor, now=NOW + timedelta(minutes=5))
    message = skip_message(again)
    assert "2024-08" in message and "same gaps" in message
    assert (
        json.loads(again.cursor or "{}")["evaluated_at"]
        > json.loads(first.cursor or "{}")["evaluated_at"]
    )

    # The run filled one hour: different work, a different key, launched at once.
    snaps = BronzeStore(data_dir / "bronze", "sec_snapshots")
    snaps.write("2024-08", attempt("2024-08-29T00"))
    progressed = evaluate(instance, again.cursor, now=NOW + timedelta(minutes=10))
    assert requested(progressed) == [("2024-08", "2024-08:2")]

    # Nothing changes for longer than relaunch_after: one retry, with its own key.
    later = evaluate(instance, progressed.cursor, now=NOW + timedelta(hours=7))
    assert requested(later) == [("2024-08", "2024-08:2:retry1")]


def test_months_without_bronze_are_incomplete_and_caps_are_respected(
    data_dir: Path, instance: dg.DagsterInstance
) -> None:
    fill(data_dir, date(2024, 8, 1), skip_hours=1)
    fill(data_dir, date(2024, 9, 1))
    # 2024-04 … 2024-07 have no bronze at all; newest first, two per evaluation.
    first = evaluate(instance, horizon_months=6, max_launches_per_tick=2, max_in_flight=10)
    assert requested(first) == [("2024-08", "2024-08:1"), ("2024-07", "2024-07:48")]
    assert len(customer_keys()) == 17  # July: 31 hours + 16 regions + national, all missing

    # Those two are now running: they are not launched again, and the cap counts them.
    in_flight(instance, "2024-08")
    in_flight(instance, "2024-07", dg.DagsterRunStatus.NOT_STARTED)
    capped = evaluate(instance, first.cursor, horizon_months=6, max_in_flight=2)
    message = skip_message(capped)
    assert message.startswith("cap reached: 2 monthly_pipeline runs in flight (max 2)")
    assert "2024-06" in message

    more = evaluate(instance, capped.cursor, horizon_months=6, max_in_flight=3)
    assert requested(more) == [("2024-06", "2024-06:47")]  # one free slot


def test_no_launch_while_the_breaker_is_open(data_dir: Path, instance: dg.DagsterInstance) -> None:
    fill(data_dir, date(2024, 8, 1), skip_hours=3)
    breaker = CircuitBreaker(data_dir / "state" / "sec_breaker.json", failure_threshold=5)
    for _ in range(5):
        breaker.record_failure("http_503 from GetPorFecha")
    result = evaluate(instance, "previous cursor that is not JSON")
    message = skip_message(result)
    assert "circuit breaker is OPEN until" in message and "http_503" in message
    # Chile's time with its offset (month.format_local)
    assert re.search(r"OPEN until \d{4}-\d\d-\d\d \d\d:\d\d -0[34] after ", message), message
    assert ScanCursor.parse(result.cursor).evaluated_at == NOW.timestamp()


def test_half_open_breaker_lets_one_probe_month_through(
    data_dir: Path, instance: dg.DagsterInstance
) -> None:
    opened_long_ago = CircuitBreaker(
        data_dir / "state" / "sec_breaker.json", clock=lambda: time.time() - 3600
    )
    for _ in range(5):
        opened_long_ago.record_failure("timeout")
    result = evaluate(instance, horizon_months=4, max_launches_per_tick=3, max_in_flight=3)
    assert len(requested(result)) == 1


def test_no_launch_while_a_half_open_probe_is_in_flight(
    data_dir: Path, instance: dg.DagsterInstance
) -> None:
    path = data_dir / "state" / "sec_breaker.json"
    opened_long_ago = CircuitBreaker(path, clock=lambda: time.time() - 3600)
    for _ in range(5):
        opened_long_ago.record_failure("timeout")
    assert CircuitBreaker(path).allow_request()  # a run is probing right now
    message = skip_message(evaluate(instance))
    assert "HALF_OPEN with a probe request in flight" in message


def test_nothing_incomplete_says_so(data_dir: Path, instance: dg.DagsterInstance) -> None:
    for m in (7, 8, 9):
        fill(data_dir, date(2024, m, 1))
    first = evaluate(instance)
    assert skip_message(first).startswith("nothing incomplete: all 3 months since 2024-07")
    assert "3 listed" in skip_message(first)
    second = skip_message(evaluate(instance, first.cursor, now=NOW + timedelta(minutes=5)))
    assert "1 listed, 2 known complete" in second  # the closed months are cached


def test_month_coverage_counts_only_started_hours_and_the_dst_gap(data_dir: Path) -> None:
    # September 2024, one sample a day at 00:00: the 8th has no midnight (clocks jump to 01:00).
    cov = month_coverage(Month(2024, 9), data_dir / "bronze", now=NOW, hours_per_day=1)
    assert cov.expected_hours == 14 and cov.missing_hours == 14 and not cov.closed
    assert cov.missing_customers == 17
    closed = month_coverage(Month(2024, 8), data_dir / "bronze", now=NOW, hours_per_day=24)
    assert closed.expected_hours == 744 and closed.closed

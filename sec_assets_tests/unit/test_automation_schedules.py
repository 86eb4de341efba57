"""The schedules pick the right month and run key, DST edges included (America/Santiago)."""

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from sec_assets.automation import closed_month_schedule, open_month_schedule
from sec_assets.month import Month, hourly_run_key, scan_window
from sec_assets.resources import local_resources

CHILE = ZoneInfo("America/Santiago")


def chile(y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CHILE, fold=fold)


@pytest.fixture(scope="module")
def instance():
    # A schedule context needs an instance it can reference (not an ephemeral one); one for the
    # module keeps the tests fast, and a test that adds a run deletes it.
    with dg.instance_for_test() as inst:
        yield inst


def tick(schedule: dg.ScheduleDefinition, instance: dg.DagsterInstance, when: datetime):
    """The schedule's answer at ``when``, with the code location's resources."""
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources=local_resources()
    ) as context:
        return schedule(context)


@pytest.mark.parametrize(
    ("when", "expected", "why"),
    [
        (chile(2024, 9, 1, 3), "2024-08", "the usual tick: August just closed"),
        (chile(2024, 4, 1, 3), "2024-03", "April: clocks go back later this month"),
        (chile(2024, 10, 1, 3), "2024-09", "September had the skipped midnight (8th)"),
        (chile(2025, 1, 1, 3), "2024-12", "the year wraps"),
        (datetime(2024, 9, 1, 7, 0), "2024-08", "naive = UTC: 07:00Z is 03:00 at -04"),
        (datetime(2024, 9, 1, 2, 30, tzinfo=UTC), "2024-07", "still 31 Aug 22:30 in Chile"),
    ],
)
def test_monthly_schedule_requests_the_closed_month_not_the_open_one(
    instance: dg.DagsterInstance, when: datetime, expected: str, why: str
) -> None:
    request = tick(closed_month_schedule, instance, when)
    assert isinstance(request, dg.RunRequest), why
    assert request.partition_key == expected, why
    assert request.run_key == expected


def test_monthly_schedule_is_on_the_first_at_three_in_chile() -> None:
    assert closed_month_schedule.cron_schedule == "0 3 1 * *"
    assert closed_month_schedule.execution_timezone == "America/Santiago"
    assert open_month_schedule.cron_schedule == "10 * * * *"
    assert open_month_schedule.execution_timezone == "America/Santiago"


def test_monthly_schedule_skips_before_the_history_start(instance: dg.DagsterInstance) -> None:
    result = tick(closed_month_schedule, instance, chile(2017, 1, 1, 3))
    assert isinstance(result, dg.SkipReason) and "2016-12" in (result.skip_message or "")


@pytest.mark.parametrize(
    ("when", "partition", "run_key"),
    [
        (chile(2024, 9, 15, 14, 10), "2024-09", "2024-09@2024-09-15T14:10-0300"),
        # 8 Sep 2024: 00:00 does not exist, the clock jumps to 01:00 (-04 → -03).
        (chile(2024, 9, 8, 1, 10), "2024-09", "2024-09@2024-09-08T01:10-0300"),
        (chile(2024, 9, 7, 23, 10), "2024-09", "2024-09@2024-09-07T23:10-0400"),
        # The first tick of a month already refreshes the new month.
        (chile(2024, 9, 1, 0, 10), "2024-09", "2024-09@2024-09-01T00:10-0400"),
        (chile(2024, 8, 31, 23, 10), "2024-08", "2024-08@2024-08-31T23:10-0400"),
    ],
)
def test_hourly_schedule_refreshes_the_open_month_with_one_key_per_tick(
    instance: dg.DagsterInstance, when: datetime, partition: str, run_key: str
) -> None:
    request = tick(open_month_schedule, instance, when)
    assert isinstance(request, dg.RunRequest)
    assert (request.partition_key, request.run_key) == (partition, run_key)


def test_the_repeated_april_hour_gets_two_distinct_run_keys(instance: dg.DagsterInstance) -> None:
    # 6 Apr 2024 23:10 happens twice: at -03 (02:10Z) and again at -04 (03:10Z) on the 7th UTC.
    first = datetime(2024, 4, 7, 2, 10, tzinfo=UTC)
    second = datetime(2024, 4, 7, 3, 10, tzinfo=UTC)
    keys = [tick(open_month_schedule, instance, t) for t in (first, second)]
    assert all(isinstance(k, dg.RunRequest) for k in keys)
    assert {k.partition_key for k in keys} == {"2024-04"}  # type: ignore[union-attr]
    assert [k.run_key for k in keys] == [  # type: ignore[union-attr]
        "2024-04@2024-04-06T23:10-0300",
        "2024-04@2024-04-06T23:10-0400",
    ]
    assert hourly_run_key(chile(2024, 4, 6, 23, 10, fold=1)) == keys[1].run_key  # type: ignore[union-attr]


def test_hourly_schedule_skips_while_the_open_month_is_still_running(
    instance: dg.DagsterInstance,
) -> None:
    run = dg.DagsterRun(
        job_name="monthly_pipeline",
        run_id="a1b2c3d4-0000-0000-0000-000000000000",
        status=dg.DagsterRunStatus.STARTED,
        tags={"dagster/partition": "2024-09"},
    )
    instance.add_run(run)
    try:
        result = tick(open_month_schedule, instance, chile(2024, 9, 15, 14, 10))
        # Another month's run does not block the open month.
        other = tick(open_month_schedule, instance, chile(2024, 10, 2, 9, 10))
    finally:
        instance.delete_run(run.run_id)
    assert isinstance(result, dg.SkipReason)
    assert "a1b2c3d4" in (result.skip_message or "") and "2024-09" in (result.skip_message or "")
    assert isinstance(other, dg.RunRequest) and other.partition_key == "2024-10"


def test_closed_month_helper_and_scan_window() -> None:
    assert Month.at(chile(2024, 3, 1, 0, 0)).prev().key == "2024-02"
    window = scan_window(datetime(2024, 9, 15, tzinfo=UTC), 3)
    assert [m.key for m in window] == ["2024-07", "2024-08", "2024-09"]
    everything = scan_window(datetime(2024, 9, 15, tzinfo=UTC), None)
    assert everything[0].key == "2017-01" and len(everything) == 7 * 12 + 9
    assert scan_window(datetime(2017, 2, 1, 12, tzinfo=UTC), 12)[0].key == "2017-01"


def _open_breaker(cooled: bool) -> None:
    from sec_assets.sec_client.breaker import CircuitBreaker
    from sec_assets.sec_client.resource import SecClientResource

    path = SecClientResource().breaker().path
    at = (lambda: time.time() - 3600) if cooled else time.time
    breaker = CircuitBreaker(path, clock=at)
    for _ in range(5):
        breaker.record_failure("http_503: GetPorFecha", "GetPorFecha")


@pytest.mark.parametrize("schedule", [closed_month_schedule, open_month_schedule])
def test_both_schedules_skip_while_the_breaker_is_open_saying_why(
    instance: dg.DagsterInstance, schedule
) -> None:
    """Before: both requested runs that could send nothing (the sensor already skipped)."""
    when = chile(2024, 9, 1, 3, 10)
    _open_breaker(cooled=False)
    result = tick(schedule, instance, when)
    assert isinstance(result, dg.SkipReason)
    message = result.skip_message or ""
    assert "SEC circuit breaker is OPEN" in message and "half-opens at" in message
    assert re.search(r"half-opens at \d{4}-\d\d-\d\d \d\d:\d\d -0[34] \(cooldown", message), message
    assert "http_503" in message and "reset-breaker" in message
    assert "2024-08" in message or "2024-09" in message


@pytest.mark.parametrize("schedule", [closed_month_schedule, open_month_schedule])
def test_a_half_open_breaker_lets_the_run_carry_the_probe(
    instance: dg.DagsterInstance, schedule
) -> None:
    from sec_assets.sec_client.resource import SecClientResource

    _open_breaker(cooled=True)
    assert isinstance(tick(schedule, instance, chile(2024, 9, 1, 3, 10)), dg.RunRequest)
    assert SecClientResource().breaker().allow_request("GetPorFecha")  # a probe in flight now
    skipped = tick(schedule, instance, chile(2024, 9, 1, 3, 10))
    assert isinstance(skipped, dg.SkipReason) and "probe" in (skipped.skip_message or "")

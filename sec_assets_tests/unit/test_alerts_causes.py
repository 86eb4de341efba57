"""What each alert says: the cause keys, which runs clear them, and one message that says what,
which month, since when, why and what to do. Plain data in, no instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sec_assets.automation.alerts import causes, messages, state_causes
from sec_assets.automation.alerts.book import AlertBook, Cause
from sec_assets.automation.alerts.causes import CheckVerdict, RunOutcome, StepFailure
from sec_assets.month import Month

AT = datetime(2024, 9, 2, 12, tzinfo=UTC).timestamp()


def run(success: bool = False, **over: object) -> RunOutcome:
    values: dict[str, object] = {
        "run_id": "0123456789abcdef",
        "job": "monthly_pipeline",
        "scope": "2024-08",
        "partition_key": "2024-08",
        "success": success,
        "at": AT,
        "trigger": "open_month_schedule",
    }
    values.update(over)
    return RunOutcome(**values)  # type: ignore[arg-type]


CHECK_ERROR = StepFailure("silver_observations", causes.CHECK_FAILED_ERROR, "1 blocking check")
FAILURE = StepFailure("sec_snapshots", "Failure", "2024-08: only 12% of 744 hours answered")
COVERAGE = CheckVerdict(
    "snapshot_ledger",
    "month_coverage_above_threshold",
    passed=False,
    blocking=True,
    description="1 offending row(s) in 2024-08",
    spec_description="The share of the month's hours with a usable answer is at least 95%.",
    sample="{'month': '2024-08', 'hours': '124', 'usable': '93'}",
)


def test_a_failed_step_is_one_cause_keyed_by_month_and_step() -> None:
    [c] = causes.run_failure_causes(run(failures=[FAILURE]))
    assert c.key == "run_failed:2024-08:sec_snapshots"
    assert c.month == "2024-08" and c.occurrence == "0123456789abcdef" and c.since == AT
    assert "only 12% of 744 hours" in c.why and "open_month_schedule" in c.why
    assert "Reading a failed run's cause" in c.action and "2024-08" in c.action


def test_a_step_failed_by_a_blocking_check_is_the_checks_alert_not_a_run_failure() -> None:
    outcome = run(failures=[CHECK_ERROR], checks=[COVERAGE])
    assert causes.run_failure_causes(outcome) == []
    [c] = causes.check_causes(outcome)
    assert c.key == "check_failed:2024-08:snapshot_ledger:month_coverage_above_threshold"
    assert c.title.startswith("2024-08 left out of gold")
    assert "at least 95%" in c.why and "1 offending row(s)" in c.why and "'usable': '93'" in c.why


def test_a_warning_check_or_a_passing_one_opens_nothing_and_a_pass_clears() -> None:
    warn = CheckVerdict("snapshot_ledger", "no_degraded_or_empty_hours", False, False, "2", "")
    passed = CheckVerdict(**{**COVERAGE.__dict__, "passed": True})
    assert causes.check_causes(run(success=True, checks=[warn, passed])) == []
    assert causes.checks_cleared(run(success=True, checks=[passed])) == [
        "check_failed:2024-08:snapshot_ledger:month_coverage_above_threshold"
    ]


def test_a_run_failing_before_any_step_is_one_run_level_cause() -> None:
    [c] = causes.run_failure_causes(run(run_error="run worker crashed"))
    assert c.key == "run_failed:2024-08:run" and "run worker crashed" in c.why


@pytest.mark.parametrize(
    ("outcome", "cleared"),
    [
        # A later run of the same month that succeeds at the step clears it; the run key too.
        (run(success=True, succeeded_steps=["sec_snapshots"]), ["sec_snapshots", "run"]),
        # A failed run whose bronze step succeeded clears the bronze failure, not the run's.
        (run(succeeded_steps=["sec_snapshots"]), ["sec_snapshots"]),
        # Another month's success clears nothing of 2024-08.
        (run(success=True, scope="2024-09", succeeded_steps=["sec_snapshots"]), []),
    ],
)
def test_which_open_run_failures_a_later_run_clears(
    outcome: RunOutcome, cleared: list[str]
) -> None:
    open_keys = ["run_failed:2024-08:sec_snapshots", "run_failed:2024-08:run", "breaker_open"]
    got = causes.run_failures_cleared(outcome, open_keys)
    assert got == [f"run_failed:2024-08:{s}" for s in ["sec_snapshots", "run"] if s in cleared]


def test_the_breaker_alerts_while_not_closed_and_each_opening_is_an_occurrence() -> None:
    closed = {"state": "closed", "opened_at": None}
    assert state_causes.breaker_cause(closed, "closed") is None
    opened = {"state": "open", "opened_at": AT}
    c = state_causes.breaker_cause(opened, "SEC circuit breaker is OPEN after 5 failures")
    assert c is not None and c.key == "breaker_open" and c.since == AT
    assert "make reset-breaker" in c.action and "OPEN after 5 failures" in c.why
    again = state_causes.breaker_cause({**opened, "opened_at": AT + 1800}, "OPEN")
    assert again is not None and again.occurrence != c.occurrence


def hours(month: str, last_day: int, hpd: int = 24) -> list[str]:
    return [h.key for h in Month.parse(month).hours(hpd) if h.day.day <= last_day]


@pytest.mark.parametrize(
    ("now", "stored", "hpd", "lag_h"),
    [
        # 2024-09-02 12:00 UTC is 08:00 in Chile: hours up to 2024-09-02T01 stored → 7 h.
        (
            datetime(2024, 9, 2, 12, tzinfo=UTC),
            [*hours("2024-09", 1), "2024-09-02T00", "2024-09-02T01"],
            24,
            6,
        ),
        # Every hour started is stored: no lag.
        (datetime(2024, 9, 2, 12, tzinfo=UTC), hours("2024-09", 2), 24, 0),
        # 4 hours a day: 00, 06 stored on the 2nd at 08:00 Chile: the next due hour is 12:00.
        (datetime(2024, 9, 2, 12, tzinfo=UTC), hours("2024-09", 2, 4)[:-2], 4, 0),
        # The month just opened: the previous month's tail counts (last stored 2024-08-31T17).
        (datetime(2024, 9, 1, 8, tzinfo=UTC), [*hours("2024-08", 30), "2024-08-31T17"], 24, 10),
    ],
)
def test_bronze_lag_is_measured_from_the_first_missing_hour_due(
    now: datetime, stored: list[str], hpd: int, lag_h: float
) -> None:
    lag_s, _, _ = state_causes.bronze_lag(Month.at(now), stored, now, hpd)
    assert lag_s == pytest.approx(lag_h * 3600, abs=3600)


def test_a_lag_beyond_the_limit_is_one_alert_naming_the_open_month() -> None:
    now = datetime(2024, 9, 2, 12, tzinfo=UTC)
    stored = hours("2024-08", 31)
    c = state_causes.bronze_lag_cause(Month.at(now), stored, now, 24, 6)
    assert c is not None and c.key == "bronze_lag" and c.month == "2024-09"
    assert "2024-08-31T23" in c.why and "open_month_schedule" in c.action
    assert state_causes.bronze_lag_cause(Month.at(now), stored, now, 24, 48) is None


def test_gold_is_stale_beyond_its_fail_window_only_once_materialized() -> None:
    window = timedelta(hours=26)
    assert state_causes.gold_stale_cause("dashboard_stats", None, AT, window) is None
    assert state_causes.gold_stale_cause("dashboard_stats", AT - 25 * 3600, AT, window) is None
    c = state_causes.gold_stale_cause("dashboard_stats", AT - 30 * 3600, AT, window)
    assert c is not None and c.key == "gold_stale" and "gold_refresh" in c.action
    assert c.since == AT - 4 * 3600


def test_coverage_below_the_threshold_after_the_runs_is_an_alert() -> None:
    assert state_causes.coverage_cause("2024-08", 744, 10, 3, "run a", 0.95, AT) is None
    c = state_causes.coverage_cause("2024-08", 744, 100, 3, "run a, FAILURE", 0.95, AT)
    assert c is not None and c.key == "coverage_low:2024-08"
    assert "86.6%" in c.title and "3 times" in c.why


def test_one_message_says_what_which_month_since_when_why_and_what_to_do() -> None:
    book = AlertBook()
    opened = book.occur(causes.run_failure_causes(run(failures=[FAILURE]))[0])
    assert opened is not None
    text = messages.text(opened)
    assert text.startswith("[sec_assets] ALERT: sec_snapshots failed for 2024-08")
    for part in [
        "Month: 2024-08",
        "Since: 2024-09-02 08:00 -04",
        "Why: 2024-08: only 12%",
        "What to do:",
        "Cause key: run_failed:2024-08:",
    ]:
        assert part in text, part
    book.occur(
        causes.run_failure_causes(run(run_id="fedcba9876543210", failures=[FAILURE], at=AT + 3600))[
            0
        ]
    )
    resolved = book.resolve("run_failed:2024-08:sec_snapshots", AT + 7200, "run z succeeded")
    assert resolved is not None
    text = messages.text(resolved)
    assert text.startswith("[sec_assets] RESOLVED: sec_snapshots failed for 2024-08")
    assert "occurred 2 times" in text and "(2 h 0 min)" in text and "run z succeeded" in text


def test_the_webhook_payload_is_slacks_shape() -> None:
    notice = AlertBook().occur(Cause("k", "t" * 300, "why", "do", AT, "o", None))
    assert notice is not None
    payload = messages.render(notice).webhook_payload()
    assert set(payload) == {"text", "blocks"} and payload["text"].startswith("[sec_assets]")
    header, section = payload["blocks"]
    assert header["type"] == "header" and len(header["text"]["text"]) == 150
    assert section["text"]["type"] == "mrkdwn" and "Why: why" in section["text"]["text"]


@pytest.mark.parametrize("key", ["2024-08", "it's $(touch pwned) `x`"])
def test_the_suggested_relaunch_command_is_shell_quoted(key: str) -> None:
    """Pasted into a shell, the command passes the partition key as one word, verbatim."""
    import shlex

    [c] = causes.run_failure_causes(run(partition_key=key, failures=[FAILURE]))
    command = c.action.partition("`dagster job launch")[2].partition("`)")[0]
    words = shlex.split("dagster job launch" + command)
    assert words[:5] == ["dagster", "job", "launch", "-j", "monthly_pipeline"]
    assert words[5:] == ["--tags", f'{{"dagster/partition": "{key}"}}']

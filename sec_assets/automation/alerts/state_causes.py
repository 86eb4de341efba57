"""Alerts about states rather than events: the circuit breaker, the open month's bronze lag,
gold's age and a month's coverage after the catch-up runs. Pure functions over plain data; each
returns the cause when the state calls for an alert, else None (the alert, if open, clears).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sec_assets.automation.alerts.book import Cause
from sec_assets.automation.alerts.messages import duration, stamp
from sec_assets.month import Month

BREAKER_KEY = "breaker_open"
BRONZE_LAG_KEY = "bronze_lag"
GOLD_STALE_KEY = "gold_stale"
COVERAGE_PREFIX = "coverage_low:"
AUTOMATION_DOCS = 'README, section "Automation"'


def breaker_cause(snapshot: dict[str, object], description: str) -> Cause | None:
    """``snapshot``: ``CircuitBreaker.snapshot()`` (effective state); ``description``: its
    ``describe()`` line. Each opening (a new ``opened_at``) is one occurrence."""
    if snapshot.get("state") == "closed":
        return None
    opened = snapshot.get("opened_at")
    since = float(opened) if isinstance(opened, int | float) else 0.0
    return Cause(
        key=BREAKER_KEY,
        title=f"SEC circuit breaker is {str(snapshot.get('state')).upper()}: "
        "nothing is fetched from the SEC service",
        why=description,
        action=(
            "it half-opens after the cooldown and one probe request closes it; schedules and "
            "incomplete_months_sensor launch nothing meanwhile. Inspect it with "
            "`python -m sec_assets breaker`; if the cause was ours (SEC_BASE_URL, the proxy), "
            'fix it and `make reset-breaker` (docs/bronze.md, section "The SEC client")'
        ),
        since=since,
        occurrence=f"opened {since}",
    )


def bronze_lag(
    open_month: Month, stored: Iterable[str], now: datetime, hours_per_day: int
) -> tuple[float, str | None, datetime | None]:
    """How far the open month's bronze trails the clock: seconds since the first hour due (of the
    open or the previous month, at the sampling cadence) after the newest hour stored; that
    newest hour's key; and the first missing hour's start. Zero when nothing due is missing."""
    have = set(stored)
    due = [*open_month.prev().hours_started(now, hours_per_day)]
    due += open_month.hours_started(now, hours_per_day)
    newest = max((h for h in due if h.key in have), default=None)
    after = [h for h in due if newest is None or h > newest]
    if not after:
        return 0.0, newest.key if newest else None, None
    first = after[0].start_utc
    return (now - first).total_seconds(), newest.key if newest else None, first


def bronze_lag_cause(
    open_month: Month, stored: Iterable[str], now: datetime, hours_per_day: int, limit_h: float
) -> Cause | None:
    lag_s, newest, first = bronze_lag(open_month, stored, now, hours_per_day)
    if first is None or lag_s <= limit_h * 3600:
        return None
    have = f"its newest valid hour is {newest} (Chile)" if newest else "it has no valid hour"
    return Cause(
        key=BRONZE_LAG_KEY,
        title=f"the open month {open_month}'s bronze is {duration(lag_s)} behind the clock "
        f"(limit {limit_h:g} h, SEC_ALERT_BRONZE_LAG_H)",
        why=f"sec_snapshots for {open_month.prev()}–{open_month}: {have}; every hour due since "
        f"{stamp(first.timestamp())} is missing",
        action=(
            f"open_month_schedule refreshes the open month hourly: check it is on and that "
            f"`dagster-daemon run` is running ({AUTOMATION_DOCS}), then read the latest "
            "monthly_pipeline runs and the breaker (`python -m sec_assets breaker`)"
        ),
        since=first.timestamp() + limit_h * 3600,
        occurrence="lagging",
        month=open_month.label,
    )


def gold_stale_cause(
    asset: str, last_materialized: float | None, now: float, fail_window: timedelta
) -> Cause | None:
    """Gold (``asset``) older than its freshness policy's fail window. An asset never
    materialized is not stale (a new deployment backfilling); the bronze lag alert covers a
    pipeline that never ran."""
    if last_materialized is None or now - last_materialized <= fail_window.total_seconds():
        return None
    return Cause(
        key=GOLD_STALE_KEY,
        title=f"gold is stale: {asset} last materialized {duration(now - last_materialized)} ago, "
        f"beyond its freshness window ({duration(fail_window.total_seconds())})",
        why=f"{asset} was last materialized at {stamp(last_materialized)}; the dashboard shows "
        "figures of that time",
        action=(
            "gold follows silver through default_automation_condition_sensor: check it is on "
            f"({AUTOMATION_DOCS}), read the latest failed runs of the gold assets, or rebuild by "
            "hand: `dagster job launch -j gold_refresh`"
        ),
        since=last_materialized + fail_window.total_seconds(),
        occurrence="stale",
    )


def coverage_cause(
    month: str,
    expected_hours: int,
    missing_hours: int,
    runs: int,
    last_run: str,
    threshold: float,
    at: float,
) -> Cause | None:
    """A month whose bronze coverage is still below ``threshold`` after ``runs`` finished
    catch-up runs (the caller decides how many are enough)."""
    if expected_hours == 0:
        return None
    share = 1 - missing_hours / expected_hours
    if share >= threshold:
        return None
    return Cause(
        key=f"{COVERAGE_PREFIX}{month}",
        title=f"{month}: bronze coverage {share:.1%} after {runs} catch-up runs, below "
        f"{threshold:.0%} (SEC_MIN_MONTH_COVERAGE)",
        why=f"{missing_hours} of {expected_hours} hours have no valid answer after "
        f"incomplete_months_sensor launched monthly_pipeline {runs} times (last: {last_run})",
        action=(
            'read the last catch-up run (README, section "Reading a failed run\'s cause") and '
            "the breaker (`python -m sec_assets breaker`); hours the service never answers stay "
            "missing and the month stays out of gold (month_coverage_above_threshold)"
        ),
        since=at,
        occurrence="low",
        month=month,
    )

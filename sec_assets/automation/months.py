"""Which month a tick means, in Chile's wall-clock time. No Dagster imports.

Partition keys are the month's first day (``2024-08-01``); bronze folders use ``2024-08``.
The partitions definition has ``end_offset=1``, so its newest key is the *open* month: a schedule
that wants the month that just closed must compute it, which is what this module does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sec_assets.bronze.hours import CHILE
from sec_assets.partitions import HISTORY_START


def local(t: datetime | None) -> datetime:
    """``t`` (naive = UTC, as Dagster passes it) in Chile's time; now when ``t`` is None."""
    if t is None:
        t = datetime.now(UTC)
    elif t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(CHILE)


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_key(d: date) -> str:
    """The monthly partition key of the month containing ``d``."""
    return month_start(d).isoformat()


def month_label(d: date) -> str:
    """``YYYY-MM``: the bronze folder name of the month containing ``d``."""
    return f"{d.year:04d}-{d.month:02d}"


def open_month_key(t: datetime | None) -> str:
    """The partition of the month in progress at ``t`` (Chile time)."""
    return partition_key(local(t).date())


def closed_month_key(t: datetime | None) -> str:
    """The partition of the last month that had ended by ``t`` (Chile time)."""
    return partition_key(add_months(local(t).date(), -1))


def hourly_run_key(t: datetime | None) -> str:
    """One key per tick: the open month plus the local hour *with its UTC offset*, so the hour
    repeated when clocks go back in April yields two distinct keys."""
    lt = local(t)
    return f"{partition_key(lt.date())}@{lt:%Y-%m-%dT%H:%M%z}"


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from ``first`` to ``last``, both included."""
    out, cur, stop = [], month_start(first), month_start(last)
    while cur <= stop:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def scan_window(now: datetime, horizon_months: int | None) -> list[date]:
    """The months a sensor scans at ``now``: the last ``horizon_months`` (the open month
    included), or every month since the history start when ``horizon_months`` is None."""
    current = month_start(local(now).date())
    history = date.fromisoformat(HISTORY_START)
    first = history if horizon_months is None else add_months(current, 1 - horizon_months)
    return months_between(max(first, history), current)


def month_end_utc(d: date) -> datetime:
    """The instant the month containing ``d`` ends (local midnight of the next month's 1st)."""
    nxt = add_months(d, 1)
    return datetime(nxt.year, nxt.month, 1, tzinfo=CHILE).astimezone(UTC)

"""Plan and run the collection of one month of hourly snapshots. No Dagster imports.

A plan lists the month's hours that exist so far, the ones still lacking a valid answer (a
resumed run fetches only those), and, for the open month, the recently closed hours to ask
again because the service revises them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sec_assets.bronze.store import BronzeStore, hours_due
from sec_assets.month import LocalHour, Month
from sec_assets.sec_client.client import FetchResult, SecClient
from sec_assets.sec_client.validation import validate_server_time

SERVER_TIME_KEY = "server_time"


@dataclass(frozen=True)
class MonthPlan:
    month: str
    expected: list[LocalHour]  # every hour of the month that has started, in order
    missing: list[LocalHour]  # no valid answer stored yet
    revisions: list[LocalHour]  # stored, but recently closed: ask again for revisions
    month_hours: int  # hours in the whole month (the open month has fewer expected)
    as_of: datetime  # the plan's "now": the hours started by then are expected

    @property
    def to_fetch(self) -> list[LocalHour]:
        return sorted(set(self.missing) | set(self.revisions))


def plan_month(
    month: Month,
    store: BronzeStore,
    *,
    now: datetime,
    hours_per_day: int = 24,
    revision_lookback_hours: int = 48,
    revision_min_age_s: float = 3600.0,
) -> MonthPlan:
    """What to fetch for ``month``, given what bronze holds at ``now``."""
    due = hours_due(store, month, now=now, hours_per_day=hours_per_day)
    expected, stored = due.expected, due.stored
    horizon = now - timedelta(hours=revision_lookback_hours)
    min_age = timedelta(seconds=revision_min_age_s)
    revisions = [
        h
        for h in expected
        if h.key in stored
        and h.start_utc + timedelta(hours=1) >= horizon
        and now - stored[h.key].fetched_at >= min_age
    ]
    month_hours = len(month.hours(hours_per_day))
    return MonthPlan(month.label, expected, due.missing, revisions, month_hours, now)


@dataclass
class CollectReport:
    """What one run did: per-hour outcomes and totals for metadata."""

    month: str
    requested: int = 0
    results: dict[str, FetchResult] = field(default_factory=dict)
    attempts: int = 0
    files_written: int = 0
    bytes_written: int = 0
    server_time: str | None = None
    duration_s: float = 0.0
    done: int = 0  # hours whose request has ended (progress)
    failures: int = 0  # of those, hours without a valid answer

    def keys_with(self, *outcomes: str) -> list[str]:
        return sorted(k for k, r in self.results.items() if r.ok and _outcome(r) in outcomes)

    @property
    def failed(self) -> dict[str, str]:
        """Hour key → the final error, for hours this run could not get."""
        return {k: str(r.error) for k, r in sorted(self.results.items()) if r.error is not None}

    @property
    def failed_outcomes(self) -> dict[str, int]:
        """Outcome of the last attempt → how many hours of this run ended so, for the hours
        without a valid answer (``schema_error``, ``wrong_date``, ``http_503`` …)."""
        counts: dict[str, int] = {}
        for r in self.results.values():
            if r.error is not None:
                counts[_outcome(r)] = counts.get(_outcome(r), 0) + 1
        return dict(sorted(counts.items()))

    @property
    def rows(self) -> int:
        return sum(len(r.value.rows) for r in self.results.values() if r.ok)

    @property
    def customers(self) -> int:
        return sum(r.value.customers for r in self.results.values() if r.ok)


def _outcome(result: FetchResult) -> str:
    return result.attempts[-1].outcome if result.attempts else "not_sent"


async def collect_month(
    plan: MonthPlan, client: SecClient, store: BronzeStore, *, progress_s: float | None = None
) -> CollectReport:
    """Fetch the plan's hours (and the server time) concurrently; store every attempt at once.

    Every request runs to its end before this returns, even when one of them raises (a disk
    error): the client is never closed under requests in flight. A configuration mistake
    (``SecConfigError``) stops the month with its one message. Progress is logged at INFO every
    ``progress_s`` seconds (``settings.progress_interval_s``).
    """
    report = CollectReport(plan.month)
    t0 = time.perf_counter()

    async def one(coro) -> FetchResult:
        result = await coro
        paths = await asyncio.to_thread(_write_all, store, plan.month, result)
        report.files_written += len(paths)
        report.bytes_written += sum(p.stat().st_size for p in paths)
        report.attempts += len(result.attempts)
        if result.error is not None and result.endpoint == "GetPorFecha":
            report.failures += 1
        report.done += result.endpoint == "GetPorFecha"
        return result

    server_call = client.call(
        "GetHoraServer", {}, key=SERVER_TIME_KEY, validate=validate_server_time
    )
    hours = plan.to_fetch
    report.requested = len(hours)
    interval = progress_s if progress_s is not None else client.settings.progress_interval_s
    ticker = asyncio.create_task(log_progress(report, client, interval, t0))
    try:
        outcomes = await asyncio.gather(
            one(server_call),
            *(one(client.fetch_snapshot(h)) for h in hours),
            return_exceptions=True,
        )
    finally:
        ticker.cancel()
    report.duration_s = time.perf_counter() - t0
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    if client.config_error is not None:
        raise client.config_error
    server_result, *results = outcomes
    report.results = {h.key: r for h, r in zip(hours, results, strict=True)}  # type: ignore[misc]
    report.server_time = server_result.value if server_result.ok else None  # type: ignore[union-attr]
    return report


async def log_progress(report: CollectReport, client: SecClient, every_s: float, t0: float) -> None:
    """Every ``every_s``: hours done / due, failures so far, requests/s, ETA, breaker state."""
    while True:
        await asyncio.sleep(every_s)
        elapsed = time.perf_counter() - t0
        rate = report.done / elapsed if elapsed > 0 else 0.0
        left = report.requested - report.done
        eta = f"{left / rate:.0f} s" if rate > 0 else "unknown"
        client.log.info(
            f"{report.month}: {report.done}/{report.requested} hours done, "
            f"{report.failures} failed so far, {report.attempts / elapsed:.2f} requests/s, "
            f"ETA {eta}, breaker {client.breaker.state.value}"
        )


def _write_all(store: BronzeStore, month: str, result: FetchResult) -> list:
    return [store.write(month, attempt) for attempt in result.attempts]


def utc_now() -> datetime:
    return datetime.now(UTC)

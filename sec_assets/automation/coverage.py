"""Which months' bronze is incomplete, read from directory listings only. No Dagster imports.

A month is incomplete when an hour that has started (at least ``grace`` ago) has no valid
answer in ``sec_snapshots``, or when a region (or the national total) has no valid answer in
``sec_customers``; a month with no bronze folder at all is incomplete in every hour. The outcome
is part of each bronze file name, so no file is opened.

Bronze is append-only, so a closed month found complete stays complete: the sensor's cursor
remembers those months and skips them until the next full rescan (see ``ScanCursor``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sec_assets.bronze.store import hours_due, open_store
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation

SNAPSHOTS = "sec_snapshots"
CUSTOMERS = "sec_customers"


@cache
def customer_keys() -> frozenset[str]:
    """The keys ``sec_customers`` stores for a complete month: every region plus national."""
    from sec_assets.masterdata import regions

    cuts = regions()["cut_region"].to_list()
    return frozenset({f"region_{int(c):02d}" for c in cuts} | {"national"})


@dataclass(frozen=True)
class MonthCoverage:
    """What bronze holds for one month at scan time."""

    month: str  # YYYY-MM
    expected_hours: int  # hours of the month that had started by the cutoff
    missing_hours: int
    missing_customers: int
    closed: bool  # the month had ended by the cutoff

    @property
    def partition_key(self) -> str:
        return Month.parse(self.month).key

    @property
    def missing(self) -> int:
        return self.missing_hours + self.missing_customers

    @property
    def complete(self) -> bool:
        return self.missing == 0

    def describe(self) -> str:
        parts = [f"{self.missing_hours}/{self.expected_hours} h"]
        if self.missing_customers:
            parts.append(f"{self.missing_customers} customer keys")
        return f"{self.month} ({', '.join(parts)})"


def month_coverage(
    month: Month,
    bronze_root: Path | ObjectLocation,
    *,
    now: datetime,
    hours_per_day: int = 24,
    grace: timedelta = timedelta(hours=2),
) -> MonthCoverage:
    """Coverage of ``month``; hours younger than ``grace`` are not due yet
    (the hourly refresh fetches them), so the open month is not flagged for its newest hour."""
    cutoff = now - grace
    label = month.label
    due = hours_due(
        open_store(bronze_root, SNAPSHOTS), month, now=cutoff, hours_per_day=hours_per_day
    )
    missing_customers = 0
    if due.expected:
        stored = open_store(bronze_root, CUSTOMERS).latest_good(label)
        missing_customers = len(customer_keys() - stored.keys())
    return MonthCoverage(
        month=label,
        expected_hours=len(due.expected),
        missing_hours=len(due.missing),
        missing_customers=missing_customers,
        closed=month.end_utc <= cutoff,
    )


@dataclass
class Launch:
    """The last time the sensor launched a month: with how many gaps, and which retry."""

    missing: int
    at: float  # epoch seconds
    tries: int = 0

    def run_key(self, month: str) -> str:
        base = f"{month}:{self.missing}"
        return base if self.tries == 0 else f"{base}:retry{self.tries}"


@dataclass
class ScanCursor:
    """The sensor's memory between evaluations (serialized as JSON in the sensor cursor)."""

    hours_per_day: int | None = None
    complete: set[str] = field(default_factory=set)  # closed months found complete
    full_scan_at: float | None = None
    launched: dict[str, Launch] = field(default_factory=dict)
    evaluated_at: float | None = None
    last_outcome: str | None = None

    @classmethod
    def parse(cls, raw: str | None) -> ScanCursor:
        """A cursor from its JSON; an absent or unreadable one starts afresh (full rescan)."""
        if not raw:
            return cls()
        try:
            doc = json.loads(raw)
            return cls(
                hours_per_day=doc.get("hours_per_day"),
                complete=set(doc.get("complete", [])),
                full_scan_at=doc.get("full_scan_at"),
                launched={m: Launch(**v) for m, v in doc.get("launched", {}).items()},
                evaluated_at=doc.get("evaluated_at"),
                last_outcome=doc.get("last_outcome"),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def dumps(self) -> str:
        return json.dumps(
            {
                "hours_per_day": self.hours_per_day,
                "complete": sorted(self.complete),
                "full_scan_at": self.full_scan_at,
                "launched": {m: asdict(v) for m, v in sorted(self.launched.items())},
                "evaluated_at": self.evaluated_at,
                "last_outcome": self.last_outcome,
            },
            separators=(",", ":"),
        )


def scan(
    months: list[Month],
    bronze_root: Path | ObjectLocation,
    cursor: ScanCursor,
    *,
    now: datetime,
    hours_per_day: int,
    grace: timedelta,
    rescan_every: timedelta,
) -> tuple[list[MonthCoverage], int]:
    """Coverage of every month not known complete; updates ``cursor.complete``.

    Returns the incomplete months (newest first) and how many months were listed. A full rescan
    (the cache ignored) happens every ``rescan_every`` and whenever ``hours_per_day`` changes.
    """
    full = (
        cursor.full_scan_at is None
        or cursor.hours_per_day != hours_per_day
        or now.timestamp() - cursor.full_scan_at >= rescan_every.total_seconds()
    )
    if full:
        cursor.complete = set()
        cursor.full_scan_at = now.timestamp()
        cursor.hours_per_day = hours_per_day
    incomplete: list[MonthCoverage] = []
    listed = 0
    for month in months:
        if month.label in cursor.complete:
            continue
        listed += 1
        cov = month_coverage(month, bronze_root, now=now, hours_per_day=hours_per_day, grace=grace)
        if cov.complete and cov.closed:
            cursor.complete.add(cov.month)
        elif not cov.complete:
            incomplete.append(cov)
    incomplete.sort(key=lambda c: c.month, reverse=True)
    return incomplete, listed

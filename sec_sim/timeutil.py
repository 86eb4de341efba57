"""Local (America/Santiago) wall-clock hours as integers, and the helpers around them.

The simulator works on *naive local* hours, the way the SEC service is asked ("anho, mes, dia,
hora" in Chile's local time). An hour is an integer: hours since 2000-01-01 00:00 local naive.
The September hour skipped by daylight saving time does not exist (the server answers ``[]``);
the April hour that happens twice exists once.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

TZ = ZoneInfo("America/Santiago")
EPOCH = datetime(2000, 1, 1)
HOUR = timedelta(hours=1)
HOUR_KEY_FORMAT = "%Y-%m-%dT%H"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def hour_index(moment: datetime) -> int:
    """The naive local hour containing ``moment`` (a naive local datetime)."""
    return (moment.replace(tzinfo=None) - EPOCH) // HOUR


def hour_dt(index: int) -> datetime:
    return EPOCH + index * HOUR


def hour_key(index: int) -> str:
    """``YYYY-MM-DDTHH``: how fault rules and the request log name an hour."""
    return hour_dt(index).strftime(HOUR_KEY_FORMAT)


def parse_hour_key(text: str) -> int:
    return hour_index(datetime.strptime(text.strip()[:13], HOUR_KEY_FORMAT))


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH_RE.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"month must be YYYY-MM, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    total = year * 12 + (month - 1) + delta
    return total // 12, total % 12 + 1


def month_hours(year: int, month: int) -> tuple[int, int]:
    """Half-open range ``[first, end)`` of the naive local hours of a month."""
    ny, nm = shift_month(year, month, 1)
    return hour_index(datetime(year, month, 1)), hour_index(datetime(ny, nm, 1))


def exists_locally(moment: datetime) -> bool:
    """False for the wall-clock times skipped when Chile moves its clocks forward."""
    naive = moment.replace(tzinfo=None)
    round_trip = naive.replace(tzinfo=TZ).astimezone(UTC).astimezone(TZ).replace(tzinfo=None)
    return round_trip == naive


@lru_cache(maxsize=64)
def _nonexistent_in_year(year: int) -> frozenset[int]:
    """Scan the year's transitions (first Sunday of September, give or take) hour by hour."""
    found: set[int] = set()
    for month in (8, 9, 10):
        first, end = month_hours(year, month)
        found.update(h for h in range(first, end) if not exists_locally(hour_dt(h)))
    return frozenset(found)


def is_nonexistent(index: int) -> bool:
    return index in _nonexistent_in_year(hour_dt(index).year)


def chile_now() -> datetime:
    """The current local time in Chile, naive."""
    return datetime.now(TZ).replace(tzinfo=None)


def local_to_utc(moment: datetime) -> datetime:
    """Aware UTC time of a naive local time (first occurrence of a repeated hour)."""
    return moment.replace(tzinfo=TZ, fold=0).astimezone(UTC)


def days_between(earlier: date, later: date) -> int:
    return (later - earlier).days

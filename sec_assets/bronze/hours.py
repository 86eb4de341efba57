"""The local hours of a month that the SEC can be asked for, DST-correct.

Chile changes clocks at local midnight: in September the hour 00:00 of one day does not exist
(it is never requested); in April the hour 23:00 happens twice (it is requested once, because
the service is addressed by wall-clock fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sec_assets.partitions import SEC_TIMEZONE

CHILE = ZoneInfo(SEC_TIMEZONE)


@dataclass(frozen=True, order=True)
class LocalHour:
    """One wall-clock hour in Chile, as the service addresses it."""

    day: date
    hour: int

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}T{self.hour:02d}"

    @property
    def month_key(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"

    @property
    def request_body(self) -> dict[str, int]:
        # All four fields, always: leaving out `hora` silently returns midnight.
        return {
            "anho": self.day.year,
            "mes": self.day.month,
            "dia": self.day.day,
            "hora": self.hour,
        }

    @property
    def start_utc(self) -> datetime:
        """The first instant of this wall-clock hour (the earlier one for a repeated hour)."""
        naive = datetime(self.day.year, self.day.month, self.day.day, self.hour)
        return naive.replace(tzinfo=CHILE, fold=0).astimezone(UTC)

    @classmethod
    def parse(cls, key: str) -> LocalHour:
        day, hour = key.split("T")
        return cls(date.fromisoformat(day), int(hour))


def sampled_hours(hours_per_day: int) -> frozenset[int]:
    """Hours of the day sampled at a cadence of ``hours_per_day`` (24 = all, 4 = 0, 6, 12, 18)."""
    if not 1 <= hours_per_day <= 24:
        raise ValueError(f"hours_per_day must be within 1..24, got {hours_per_day}")
    step = 24 / hours_per_day
    return frozenset(int(i * step) for i in range(hours_per_day))


def month_hours(month_start: date, hours_per_day: int = 24) -> list[LocalHour]:
    """Every existing local hour of the month, each once, in order."""
    first = month_start.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=CHILE).astimezone(UTC)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=CHILE).astimezone(UTC)
    keep = sampled_hours(hours_per_day)
    seen: dict[LocalHour, None] = {}
    t = start
    while t < end:
        local = t.astimezone(CHILE)
        lh = LocalHour(local.date(), local.hour)
        if lh.hour in keep:
            seen.setdefault(lh, None)
        t += timedelta(hours=1)
    return list(seen)


def hour_exists(hour: LocalHour) -> bool:
    """False for the wall-clock hour skipped when clocks go forward."""
    naive = datetime(hour.day.year, hour.day.month, hour.day.day, hour.hour)
    round_trip = naive.replace(tzinfo=CHILE).astimezone(UTC).astimezone(CHILE)
    return round_trip.replace(tzinfo=None) == naive

"""The month, and its hours, in Chile's wall-clock time: the one place a month is converted.

A month is spelled two ways: its label (``2024-08``), which is also its partition key and its
bronze folder name, and its first day as a ``date``. :class:`Month` owns every conversion, reads a
run's month (or range of months) from a Dagster context, and lists the month's local hours.
No Dagster imports: contexts are read by their attributes.

Chile changes clocks at local midnight: in September the hour 00:00 of one day does not exist
(it is never requested); in April the hour 23:00 happens twice (it is requested once, because
the service is addressed by wall-clock fields). The partitions definition has ``end_offset=1``,
so its newest key is the *open* month: a schedule that wants the month that just closed asks
for ``Month.at(t).prev()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SEC_TIMEZONE = "America/Santiago"
#: ``strftime`` format of a month's label (``YYYY-MM``), also the monthly partitions' ``fmt``:
#: for Polars expressions formatting a date column; Python code spells a month through
#: :class:`Month`.
LABEL_FORMAT = "%Y-%m"
HISTORY_START = "2017-01-01"  # the first day of the history
CHILE = ZoneInfo(SEC_TIMEZONE)


def local(t: datetime | None) -> datetime:
    """``t`` (naive = UTC, as Dagster passes it) in Chile's time; now when ``t`` is None."""
    if t is None:
        t = datetime.now(UTC)
    elif t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(CHILE)


def format_local(t: datetime | float) -> str:
    """A time for people to read (log lines, failures, metadata text, alerts): Chile's wall
    clock, the SEC's own, with its UTC offset, e.g. ``2024-08-03 04:00 -04``. ``t`` is a
    datetime (naive = UTC) or epoch seconds."""
    if isinstance(t, int | float):
        t = datetime.fromtimestamp(t, UTC)
    lt = local(t)
    minutes = int((lt.utcoffset() or timedelta()).total_seconds() // 60)
    sign, hours, mins = "-" if minutes < 0 else "+", abs(minutes) // 60, abs(minutes) % 60
    return f"{lt:%Y-%m-%d %H:%M} {sign}{hours:02d}" + (f":{mins:02d}" if mins else "")


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
        """The label (``YYYY-MM``) of the hour's month."""
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

    @property
    def exists(self) -> bool:
        """False for the wall-clock hour skipped when clocks go forward."""
        naive = datetime(self.day.year, self.day.month, self.day.day, self.hour)
        round_trip = naive.replace(tzinfo=CHILE).astimezone(UTC).astimezone(CHILE)
        return round_trip.replace(tzinfo=None) == naive

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


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Chile's time: ``Month(2024, 8)``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be within 1..12, got {self.month}")

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Month:
        """From a label or partition key (``2024-07``), or any ISO day (``2024-07-01``, the
        partition keys of instances from before keys were labels)."""
        try:
            day = date.fromisoformat(text if len(text) > 7 else f"{text}-01")
        except ValueError as err:
            raise ValueError(f"not a month: {text!r} (expected YYYY-MM or YYYY-MM-DD)") from err
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, d: date) -> Month:
        """The month of the calendar day (or naive wall-clock time) ``d``."""
        return cls(d.year, d.month)

    @classmethod
    def at(cls, t: datetime | None = None) -> Month:
        """The month in progress at ``t`` (naive = UTC) in Chile's time; now when None."""
        return cls.containing(local(t).date())

    @classmethod
    def history_start(cls) -> Month:
        """The first month of the partitions."""
        return cls.parse(HISTORY_START)

    @classmethod
    def range(cls, first: Month, count: int) -> list[Month]:
        """``count`` consecutive months from ``first`` (empty when ``count`` < 1)."""
        return first.through(first.shift(count - 1))

    @classmethod
    def of(cls, context: Any) -> Month:
        """The month of a single-partition run (an asset, op or check context)."""
        return cls.parse(context.partition_key)

    @classmethod
    def range_of(cls, context: Any) -> list[Month]:
        """The months of a run, in order: one for a single-partition run, every month of the
        partition key range for a ranged run (a backfill)."""
        if context.has_partition_key:
            return [cls.of(context)]
        keys = context.partition_key_range
        return cls.parse(keys.start).through(cls.parse(keys.end))

    # --- spellings ----------------------------------------------------------------------------

    @property
    def key(self) -> str:
        """The monthly partition key: the label, ``YYYY-MM``."""
        return self.label

    @property
    def legacy_key(self) -> str:
        """The partition key of instances from before keys were labels: ``YYYY-MM-01``
        (``python -m sec_assets migrate-partition-keys`` re-records their events)."""
        return self.start.isoformat()

    @property
    def label(self) -> str:
        """``YYYY-MM``: the bronze folder name, and how logs and metadata name the month."""
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The next month's first day (exclusive, like a partition time window's end)."""
        return self.next().start

    @property
    def local_start(self) -> datetime:
        """Midnight of its 1st as a naive wall-clock time (as silver stores ``hora_local``)."""
        return datetime(self.year, self.month, 1)

    @property
    def start_utc(self) -> datetime:
        """The instant the month starts: local midnight of its 1st."""
        return datetime(self.year, self.month, 1, tzinfo=CHILE).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        """The instant the month ends: local midnight of the next month's 1st."""
        return self.next().start_utc

    # --- arithmetic ---------------------------------------------------------------------------

    def shift(self, n: int) -> Month:
        index = self.year * 12 + self.month - 1 + n
        return Month(index // 12, index % 12 + 1)

    def next(self) -> Month:
        return self.shift(1)

    def prev(self) -> Month:
        return self.shift(-1)

    def through(self, last: Month) -> list[Month]:
        """Every month from this one to ``last``, both included (empty if ``last`` is earlier)."""
        out, cur = [], self
        while cur <= last:
            out.append(cur)
            cur = cur.next()
        return out

    # --- hours --------------------------------------------------------------------------------

    def hours(self, hours_per_day: int = 24) -> list[LocalHour]:
        """Every existing local hour of the month, each once, in order; with
        ``hours_per_day`` < 24, only the sampled hours of each day."""
        keep = sampled_hours(hours_per_day)
        seen: dict[LocalHour, None] = {}
        t, end = self.start_utc, self.end_utc
        while t < end:
            lt = t.astimezone(CHILE)
            lh = LocalHour(lt.date(), lt.hour)
            if lh.hour in keep:
                seen.setdefault(lh, None)
            t += timedelta(hours=1)
        return list(seen)

    def hours_started(self, now: datetime, hours_per_day: int = 24) -> list[LocalHour]:
        """The month's hours (as :meth:`hours`) that have started by ``now``."""
        return [h for h in self.hours(hours_per_day) if h.start_utc <= now]


def hourly_run_key(t: datetime | None) -> str:
    """One key per tick: the open month plus the local hour *with its UTC offset*, so the hour
    repeated when clocks go back in April yields two distinct keys."""
    lt = local(t)
    return f"{Month.containing(lt.date()).key}@{lt:%Y-%m-%dT%H:%M%z}"


def scan_window(now: datetime, horizon_months: int | None) -> list[Month]:
    """The months a sensor scans at ``now``: the last ``horizon_months`` (the open month
    included), or every month since the history start when ``horizon_months`` is None."""
    current, history = Month.at(now), Month.history_start()
    first = history if horizon_months is None else current.shift(1 - horizon_months)
    return max(first, history).through(current)

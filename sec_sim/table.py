"""A month's precomputed answer table: hour x comuna x company (x outage start date).

An hour is answered from the outages generated for its month and for the previous month (no
outage lasts longer than :data:`~sec_sim.outages.MAX_OUTAGE_HOURS`). Months are
built once per seed and cached (:mod:`sec_sim.cache`), so serving an hour is
a slice of a sorted frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import polars as pl

from sec_sim.background import background_outages
from sec_sim.master import MasterData
from sec_sim.outages import Outage
from sec_sim.storms import storm_outages, storm_plans
from sec_sim.timeutil import hour_dt, is_nonexistent, month_hours, shift_month

# One legacy key: (comuna_idx, empresa_id, outage start date, earliest start, customers).
LegacyKey = tuple[int, str, date, datetime, int]


class HourSlices:
    """Rows of a frame sorted by ``hour``, served one hour at a time (sliced on demand)."""

    def __init__(self, frame: pl.DataFrame, columns: tuple[str, ...]) -> None:
        self._frame = frame.select(columns)
        self._spans: dict[int, tuple[int, int]] = {}
        offset = 0
        for hour, length in frame.group_by("hour", maintain_order=True).len().iter_rows():
            self._spans[hour] = (offset, length)
            offset += length

    def rows(self, hour: int) -> list[tuple]:
        span = self._spans.get(hour)
        return [] if span is None else self._frame.slice(*span).rows()


@dataclass(frozen=True)
class MonthTable:
    year: int
    month: int
    first_hour: int
    end_hour: int
    events: pl.DataFrame
    hourly: pl.DataFrame
    current_slices: HourSlices  # (comuna_idx, customers) in the service's order
    legacy_slices: HourSlices  # LegacyKey tuples in the service's order

    def current(self, hour: int) -> list[tuple[int, int]]:
        """One (comuna_idx, customers) per comuna with customers affected at ``hour``."""
        return self.current_slices.rows(hour)

    def legacy(self, hour: int) -> list[LegacyKey]:
        """One key per comuna x company x outage start date at ``hour``."""
        return self.legacy_slices.rows(hour)

    def national_total(self, hour: int) -> int:
        return sum(c for _, c in self.current(hour))


@lru_cache(maxsize=4)
def display_rank(master: MasterData) -> tuple[int, ...]:
    """Rank of each comuna in the service's order: region name, then comuna name."""
    order = sorted(
        master.comunas, key=lambda c: (master.regions[c.cut_region].sec_name, c.sec_name)
    )
    rank = [0] * len(order)
    for position, comuna in enumerate(order):
        rank[comuna.idx] = position
    return tuple(rank)


@lru_cache(maxsize=8)
def month_outages(master: MasterData, seed: int, year: int, month: int) -> tuple[Outage, ...]:
    """Every outage that starts in the month: background, then storms."""
    storms = [
        o
        for plan in storm_plans(master, seed, year, month)
        for o in storm_outages(master, seed, plan)
    ]
    return (*background_outages(master, seed, year, month), *storms)


def _explode(outages: list[Outage]) -> pl.DataFrame:
    """(pos, hour, customers) for every existing hour of every outage (pos: list position)."""
    chain = itertools.chain.from_iterable
    frame = pl.DataFrame(
        {
            "pos": list(chain(itertools.repeat(i, len(o.profile)) for i, o in enumerate(outages))),
            "hour": list(chain(range(o.first_hour, o.last_hour + 1) for o in outages)),
            "customers": list(chain(o.profile for o in outages)),
        },
        schema={"pos": pl.Int32, "hour": pl.Int64, "customers": pl.Int64},
    )
    if frame.height:
        low, high = int(frame["hour"].min()), int(frame["hour"].max())  # type: ignore[arg-type]
        skipped = [h for h in range(low, high + 1) if is_nonexistent(h)]
        if skipped:
            frame = frame.filter(~pl.col("hour").is_in(skipped))
    return frame


def _outage_totals(frame: pl.DataFrame, count: int) -> tuple[list[int], list[int]]:
    """Peak and customer-hours of each outage over its existing hours."""
    stats = frame.group_by("pos").agg(
        peak=pl.col("customers").max(), total=pl.col("customers").sum()
    )
    peaks, sums = [0] * count, [0] * count
    for pos, peak, total in stats.iter_rows():
        peaks[pos], sums[pos] = peak, total
    return peaks, sums


def _events_frame(
    master: MasterData, outages: list[Outage], peaks: list[int], sums: list[int]
) -> pl.DataFrame:
    comunas = [master.comunas[o.comuna_idx] for o in outages]
    return pl.DataFrame(
        {
            "outage_id": [o.outage_id for o in outages],
            "cut_comuna": [c.cut for c in comunas],
            "cut_region": [c.cut_region for c in comunas],
            "empresa_id": [o.empresa_id for o in outages],
            "start": [o.start for o in outages],
            "end": [o.end for o in outages],
            "first_hour": [hour_dt(o.first_hour) for o in outages],
            "last_hour": [hour_dt(o.last_hour) for o in outages],
            "peak_customers": peaks,
            "customer_hours": sums,
            "cause": [o.cause for o in outages],
            "storm_id": [o.storm_id for o in outages],
        },
        schema_overrides={
            "cut_region": pl.Int32,
            "peak_customers": pl.Int64,
            "customer_hours": pl.Int64,
            "storm_id": pl.Utf8,
        },
    )


def build_month(master: MasterData, seed: int, year: int, month: int) -> MonthTable:
    first, end = month_hours(year, month)
    py, pm = shift_month(year, month, -1)
    outages = [*month_outages(master, seed, py, pm), *month_outages(master, seed, year, month)]
    exploded = _explode(outages)
    peaks, sums = _outage_totals(exploded, len(outages))
    month_start, month_end = hour_dt(first), hour_dt(end)
    keep = [i for i, o in enumerate(outages) if o.start < month_end and o.end > month_start]
    events = _events_frame(
        master, [outages[i] for i in keep], [peaks[i] for i in keep], [sums[i] for i in keep]
    ).sort("start", "outage_id")

    rank = display_rank(master)
    frame = exploded.filter((pl.col("hour") >= first) & (pl.col("hour") < end))
    meta = pl.DataFrame(
        {
            "pos": list(range(len(outages))),
            "comuna_idx": [o.comuna_idx for o in outages],
            "rank": [rank[o.comuna_idx] for o in outages],
            "empresa_id": [o.empresa_id for o in outages],
            "empresa_name": [master.empresas[o.empresa_id].nombre for o in outages],
            "start": [o.start for o in outages],
        },
        schema_overrides={"pos": pl.Int32},
    ).with_columns(start_date=pl.col("start").dt.date())
    frame = frame.join(meta, on="pos", how="left")

    legacy_frame = (
        frame.group_by("hour", "comuna_idx", "rank", "empresa_id", "empresa_name", "start_date")
        .agg(pl.col("start").min(), pl.col("customers").sum())
        .sort("hour", "rank", "empresa_name", "start_date")
    )
    current_frame = (
        frame.group_by("hour", "comuna_idx", "rank")
        .agg(pl.col("customers").sum())
        .sort("hour", "rank")
    )
    hourly = _hourly_frame(master, frame)
    return MonthTable(
        year=year,
        month=month,
        first_hour=first,
        end_hour=end,
        events=events,
        hourly=hourly,
        current_slices=HourSlices(current_frame, ("comuna_idx", "customers")),
        legacy_slices=HourSlices(
            legacy_frame, ("comuna_idx", "empresa_id", "start_date", "start", "customers")
        ),
    )


def _hourly_frame(master: MasterData, frame: pl.DataFrame) -> pl.DataFrame:
    cuts = pl.DataFrame(
        {
            "comuna_idx": [c.idx for c in master.comunas],
            "cut_comuna": [c.cut for c in master.comunas],
            "cut_region": [c.cut_region for c in master.comunas],
        },
        schema_overrides={"comuna_idx": frame.schema["comuna_idx"], "cut_region": pl.Int32},
    )
    return (
        frame.group_by("hour", "comuna_idx", "empresa_id")
        .agg(pl.col("customers").sum())
        .join(cuts, on="comuna_idx", how="left")
        .with_columns(hour=pl.lit(hour_dt(0)) + pl.duration(hours=pl.col("hour")))
        .select("hour", "cut_comuna", "cut_region", "empresa_id", "customers")
        .sort("hour", "cut_comuna", "empresa_id")
    )

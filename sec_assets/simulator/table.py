"""A month's precomputed answer table: hour x comuna x company (x outage start date).

An hour is answered from the outages generated for its month and for the previous month (no
outage lasts longer than :data:`~sec_assets.simulator.outages.MAX_OUTAGE_HOURS`). Months are
built once per seed and cached, so serving an hour is a dictionary lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import polars as pl

from sec_assets.simulator.background import background_outages
from sec_assets.simulator.master import MasterData
from sec_assets.simulator.outages import Outage
from sec_assets.simulator.storms import storm_outages, storm_plans
from sec_assets.simulator.timeutil import hour_dt, is_nonexistent, month_hours, shift_month

# One legacy key: (comuna_idx, empresa_id, outage start date, earliest start, customers).
LegacyKey = tuple[int, str, date, datetime, int]


@dataclass(frozen=True)
class MonthTable:
    year: int
    month: int
    first_hour: int
    end_hour: int
    events: pl.DataFrame
    hourly: pl.DataFrame
    current: dict[int, tuple[tuple[int, int], ...]]  # hour -> ((comuna_idx, customers), ...)
    legacy: dict[int, tuple[LegacyKey, ...]]

    def national_total(self, hour: int) -> int:
        return sum(c for _, c in self.current.get(hour, ()))


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


def _explode(outages: list[Outage]) -> tuple[list[int], list[int], list[int], list[int]]:
    """(outage position, hour, customers) for every existing hour; plus each outage's sum."""
    pos: list[int] = []
    hours: list[int] = []
    values: list[int] = []
    sums: list[int] = []
    for i, outage in enumerate(outages):
        total = 0
        for j, value in enumerate(outage.profile):
            hour = outage.first_hour + j
            if is_nonexistent(hour):
                continue
            pos.append(i)
            hours.append(hour)
            values.append(value)
            total += value
        sums.append(total)
    return pos, hours, values, sums


def _events_frame(master: MasterData, outages: list[Outage], sums: list[int]) -> pl.DataFrame:
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
            "peak_customers": [max(o.profile) for o in outages],
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
    pos, hours, values, sums = _explode(outages)
    month_start, month_end = hour_dt(first), hour_dt(end)
    keep = [i for i, o in enumerate(outages) if o.start < month_end and o.end > month_start]
    events = _events_frame(master, [outages[i] for i in keep], [sums[i] for i in keep])
    events = events.sort("start", "outage_id")

    rank = display_rank(master)
    frame = pl.DataFrame(
        {"pos": pos, "hour": hours, "customers": values},
        schema={"pos": pl.Int32, "hour": pl.Int64, "customers": pl.Int64},
    )
    frame = frame.filter((pl.col("hour") >= first) & (pl.col("hour") < end))
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
    legacy: dict[int, list[LegacyKey]] = {}
    for hour, comuna_idx, empresa_id, start_date, start, customers in legacy_frame.select(
        "hour", "comuna_idx", "empresa_id", "start_date", "start", "customers"
    ).iter_rows():
        legacy.setdefault(hour, []).append((comuna_idx, empresa_id, start_date, start, customers))

    current_frame = (
        frame.group_by("hour", "comuna_idx", "rank")
        .agg(pl.col("customers").sum())
        .sort("hour", "rank")
    )
    current: dict[int, list[tuple[int, int]]] = {}
    for hour, comuna_idx, customers in current_frame.select(
        "hour", "comuna_idx", "customers"
    ).iter_rows():
        current.setdefault(hour, []).append((comuna_idx, customers))

    hourly = _hourly_frame(master, frame)
    return MonthTable(
        year=year,
        month=month,
        first_hour=first,
        end_hour=end,
        events=events,
        hourly=hourly,
        current={h: tuple(rows) for h, rows in current.items()},
        legacy={h: tuple(rows) for h, rows in legacy.items()},
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


class MonthCache:
    """Thread-safe LRU of built months for one (master data, seed)."""

    def __init__(self, master: MasterData, seed: int, size: int = 6) -> None:
        self.master = master
        self.seed = seed
        self._size = size
        self._months: OrderedDict[tuple[int, int], MonthTable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, year: int, month: int) -> MonthTable:
        key = (year, month)
        with self._lock:
            if key in self._months:
                self._months.move_to_end(key)
                return self._months[key]
            table = build_month(self.master, self.seed, year, month)
            self._months[key] = table
            while len(self._months) > self._size:
                self._months.popitem(last=False)
            return table

    def for_hour(self, hour: int) -> MonthTable:
        moment = hour_dt(hour)
        return self.get(moment.year, moment.month)

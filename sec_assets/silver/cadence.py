"""A month's sampling cadence, read from the hours bronze holds, not from the setting.

Per source of the answers (``fetched`` from the service, ``imported`` from the seed's archives)
the grid of hours of the day it sampled; each day is expected at the grid of the source that
answered it, and every expected hour stands for the hours until the next one
(``hours_represented``: 1 at 24 a day, 6 at 4 a day). ``docs/cadence.md`` explains the rule.
Pure Polars.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sec_assets.month import Month, sampled_hours
from sec_assets.silver.bronze_reader import FETCHED, IMPORTED

if TYPE_CHECKING:
    import polars as pl

#: Hours between two samples that make a regular grid of the day (24 / samples a day).
STEPS = (24, 12, 8, 6, 4, 3, 2, 1)
#: A source's grid holds at least this share of its hours (a few off-grid points, e.g. a
#: clock change in the seed's archives, do not make a month hourly; they are kept as extra hours).
ON_GRID_SHARE = 0.9
NO_ANSWER = "none"  # the source of an expected hour bronze holds nothing for


def cadence_schema() -> dict[str, pl.DataType]:
    """The columns of a month's cadence and their dtypes."""
    import polars as pl

    return {
        "month": pl.Utf8(),
        "source": pl.Utf8(),
        "hours_per_day": pl.Int32(),
        "hours_represented": pl.Float64(),
        "days": pl.Int32(),
        "hours": pl.Int32(),
    }


def _hours_of_day(hours: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return hours.select(
        pl.col("hour_key").str.slice(0, 10).str.to_date().alias("day"),
        pl.col("hour_key").str.slice(11, 2).cast(pl.Int32).alias("h"),
        pl.col("source").fill_null(FETCHED),
    )


def source_grid(hod: pl.Series, day: pl.Series) -> frozenset[int] | None:
    """The sparsest regular grid (a step dividing 24, at the offset that fits best) holding
    :data:`ON_GRID_SHARE` of the hours of the day ``hod`` (of the days ``day``) and whose every
    hour is seen on at least two days; None when none is (too few days to tell)."""
    import polars as pl

    per_hour = pl.DataFrame({"h": hod, "d": day}).group_by("h").agg(pl.col("d").n_unique())
    seen = set(per_hour.filter(pl.col("d") >= 2)["h"].to_list())
    for step in STEPS:
        on_grid = [((hod - k) % step == 0).sum() for k in range(step)]
        offset = max(range(step), key=lambda k: on_grid[k])
        share = on_grid[offset] / max(hod.len(), 1)
        grid = frozenset(range(offset, 24, step))
        if grid <= seen and share >= ON_GRID_SHARE:
            return grid
    return None


def day_grids(hours: pl.DataFrame, month: Month, hours_per_day: int) -> dict[date, frozenset[int]]:
    """Each day of ``month``: the grid of the source that answered it (fetched before
    imported); a day without answers takes the finest grid of the month, else the setting's."""
    import polars as pl

    hod = _hours_of_day(hours)
    grids = {
        src: grid
        for (src,), g in hod.group_by("source")
        if (grid := source_grid(g["h"], g["day"])) is not None
    }
    fallback = sampled_hours(hours_per_day)
    default = max(grids.values(), key=len, default=fallback)
    by_day = hod.group_by("day").agg(pl.col("source").unique())
    sources = dict(zip(by_day["day"].to_list(), by_day["source"].to_list(), strict=True))
    out: dict[date, frozenset[int]] = {}
    for day in {h.day for h in month.hours()}:
        present = sources.get(day, [])
        src = FETCHED if FETCHED in present else IMPORTED if IMPORTED in present else None
        out[day] = grids.get(src, fallback) if src else default
    return out


def expected_grid(
    hours: pl.DataFrame, month: Month, hours_per_day: int, now: datetime
) -> pl.DataFrame:
    """The month's expected hours (started by ``now``): each day's grid, plus any other hour
    bronze holds; ``hours_represented`` = hours to the next expected hour (the day's step for
    the last one)."""
    import polars as pl

    grids = day_grids(hours, month, hours_per_day)
    held = set(hours["hour_key"].to_list())
    kept = [h for h in month.hours_started(now) if h.hour in grids[h.day] or h.key in held]
    frame = pl.DataFrame(
        {
            "hour_key": [h.key for h in kept],
            "hora_local": [datetime(h.day.year, h.day.month, h.day.day, h.hour) for h in kept],
            "hora_utc": [h.start_utc for h in kept],
            "samples_per_day": [len(grids[h.day]) for h in kept],
        },
        schema={
            "hour_key": pl.Utf8(),
            "hora_local": pl.Datetime("us"),
            "hora_utc": pl.Datetime("us", "UTC"),
            "samples_per_day": pl.Int32(),
        },
    )
    gap = (pl.col("hora_utc").shift(-1) - pl.col("hora_utc")).dt.total_minutes() / 60.0
    step = 24.0 / pl.col("samples_per_day")
    return frame.with_columns(pl.coalesce(gap, step).alias("hours_represented"))


def month_cadence(expected: pl.DataFrame, hours: pl.DataFrame, month: str) -> pl.DataFrame:
    """One row per source and grid of the month's expected hours: samples a day, the hours
    each stands for, the days and hours sampled that way (``silver.month_cadence``)."""
    import polars as pl

    return (
        expected.join(
            hours.select("hour_key", pl.col("source").fill_null(FETCHED)), on="hour_key", how="left"
        )
        .with_columns(
            pl.col("source").fill_null(NO_ANSWER), pl.col("hora_local").dt.date().alias("_day")
        )
        .group_by("source", pl.col("samples_per_day").alias("hours_per_day"))
        .agg(
            pl.col("hours_represented").median().alias("hours_represented"),
            pl.col("_day").n_unique().alias("days"),
            pl.len().alias("hours"),
        )
        .with_columns(pl.lit(month).alias("month"))
        .select(list(cadence_schema()))
        .cast(cadence_schema())  # type: ignore[arg-type]
        .sort("source", "hours_per_day")
    )

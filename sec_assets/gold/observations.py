"""The observation-grain golden dataset: one row per (hour, comuna, company) of a month, as the
model ``golden_observaciones`` selects it, with each hour's sampling cadence.

An hour's cadence is that of the grid it was sampled on: its day's expected hours in the ledger
(24 fetched, 4 from the seed's archives) matched to the month's ``silver.month_cadence`` rows,
which say how many hours each sample stands for (``hours_represented``); ``cadence_error`` is
the error measured at that cadence (``docs/cadence.md``). Rows are sorted by region, comuna,
hour and company, so a file's row-group statistics let a reader's filter on them skip data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sec_assets.gold.cadence import ERROR, cadence_errors
from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.refs import render
from sec_assets.month import Month
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

CADENCE_SQL = (
    "SELECT c.month, c.hours_per_day, c.hours_represented FROM {{ ref('month_cadence') }} c "
    "WHERE c.month BETWEEN :first_month AND :last_month AND c.source <> 'none'"
)
INPUTS = Inputs(models=("golden_observaciones",), queries={"month_grids": CADENCE_SQL})
#: The order of the rows in a file (and of the statistics a filter reads).
SORT = ("cut_region", "cut_comuna", "hora_local", "empresa_id")


def schema() -> dict[str, pl.DataType]:
    """The columns of a month's golden observations and their dtypes, in order."""
    import polars as pl

    return {
        "hora_local": pl.Datetime("us"),
        "hora_utc": pl.Datetime("us", "UTC"),
        "cut_region": pl.Int32(),
        "nombre_region": pl.String(),
        "cut_comuna": pl.String(),
        "nombre_comuna": pl.String(),
        "comuna_unknown": pl.Boolean(),
        "empresa_id": pl.String(),
        "nombre_empresa": pl.String(),
        "clientes_afectados": pl.Int64(),
        "fragmentos": pl.Int32(),
        "ledger_status": pl.String(),
        "era": pl.String(),
        "hours_per_day": pl.Int32(),
        "hours_represented": pl.Float64(),
        "cadence_error": pl.Float64(),
        "region_customers": pl.Int64(),
        "customers_as_of": pl.String(),
        "customers_source": pl.String(),
        "flag_clientes_missing": pl.Boolean(),
        "flag_geo_unknown": pl.Boolean(),
        "flag_empresa_unknown": pl.Boolean(),
        "flag_fecha_fallback": pl.Boolean(),
        "flag_capped": pl.Boolean(),
    }


def bounds(months: Sequence[Month]) -> dict[str, object]:
    """The parameters of the golden models and queries for a run's consecutive ``months``."""
    return {"first_month": months[0].label, "last_month": months[-1].label}


def of_month(frame: pl.DataFrame, month: Month) -> pl.DataFrame:
    """``frame``'s rows of ``month`` (its ``month`` column), in their order."""
    import polars as pl

    return frame.filter(pl.col("month") == month.label)


def _grids(grids: pl.DataFrame) -> pl.DataFrame:
    """A month's sampling grids (its rows of :data:`CADENCE_SQL`): hours_per_day,
    hours_represented, cadence_error."""
    import polars as pl

    errors = cadence_errors().select("hours_per_day", pl.col(ERROR).alias("cadence_error"))
    return (
        grids.drop("month")
        .cast({"hours_per_day": pl.Int32, "hours_represented": pl.Float64})
        .join(errors, on="hours_per_day", how="left")
        .unique("hours_per_day")
        .sort("hours_per_day")
    )


def observations(wh: Warehouse, month: Month) -> pl.DataFrame:
    """The month's rows (:func:`schema`), sorted by :data:`SORT`; empty when gold does not
    trust the month (its refs read checked months only)."""
    return read_months(wh, [month]).take(month)


@dataclass(frozen=True)
class MonthsRead:
    """The model's rows of a run's months, read in one query (and the months' sampling
    grids); each month's taken apart and finished when asked (:meth:`take`)."""

    rows: pl.DataFrame
    grids: pl.DataFrame

    def take(self, month: Month) -> pl.DataFrame:
        """:func:`observations` of ``month``: its rows with their cadence, sorted."""
        return _finished(of_month(self.rows, month), _grids(of_month(self.grids, month)))


def read_months(wh: Warehouse, months: Sequence[Month]) -> MonthsRead:
    """The rows of a run's consecutive ``months``: the model and the sampling grids, one query
    each."""
    params = bounds(months)
    labels = [m.label for m in months]  # the month tables DuckDB binds: the run's only
    rows = run_model(wh, "golden_observaciones", params, months=labels)
    return MonthsRead(rows, wh.read(render(CADENCE_SQL), params))


def _finished(frame: pl.DataFrame, grids: pl.DataFrame) -> pl.DataFrame:
    """A month's rows of the model with their cadence, in :func:`schema`'s columns, sorted."""
    import polars as pl

    frame = frame.with_columns(_utc(frame, "hora_utc"), pl.col("day_hours").cast(pl.Int32))
    if grids.height:
        # Each day at the grid whose samples a day come nearest its expected hours (a day of a
        # clock change has 23 or 25 hours at 24 a day).
        frame = frame.sort("day_hours").join_asof(
            grids.with_columns(pl.col("hours_per_day").alias("day_hours")),
            on="day_hours",
            strategy="nearest",
        )
    else:  # no month_cadence row (a month loaded before the table existed)
        frame = frame.with_columns(
            pl.lit(None, pl.Int32).alias("hours_per_day"),
            pl.lit(None, pl.Float64).alias("hours_represented"),
            pl.lit(None, pl.Float64).alias("cadence_error"),
        )
    ordered = frame.select([pl.col(c).cast(t) for c, t in schema().items()])
    return ordered.sort(list(SORT), nulls_last=True)


def _utc(frame: pl.DataFrame, column: str) -> pl.Expr:
    """``column`` in UTC, whichever zone (or none: UTC) the engine returned it in."""
    import polars as pl

    zone = getattr(frame.schema[column], "time_zone", None)
    as_us = pl.col(column).cast(pl.Datetime("us", zone))
    return as_us.dt.convert_time_zone("UTC") if zone else as_us.dt.replace_time_zone("UTC")

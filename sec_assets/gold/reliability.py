"""Reliability indices per region and month — proxies of SAIFI/SAIDI from the SEC snapshots.

- ``frequency_per_1000``: customers affected (the sum of the peaks of the episodes that started
  in the month) per 1,000 customers of the region;
- ``duration_hours_per_customer``: customer-hours observed in the month (valid hours, scaled to
  24 h a day) per customer;
- the same with **major event days** excluded, by the IEEE 1366 2.5β method on the five years
  before each day (:mod:`sec_assets.gold.med`).

The denominators are the counts the month's facts were capped by (``silver.customer_caps``):
the SEC's count for the region and month, else the nearest earlier month's, named on the row
(``customers_as_of``). A row per region and checked month with such a count (a month without
outages is a row of zeros); a region-month that had only the shipped reference counts is left
out and listed by :func:`reliability_indices_omitted` (in ``data_coverage``). Labelled as
proxies: they include force majeure and count customers per episode peak. Each row says its
month's sampling cadence (``hours_per_day``) and the error of customer-hours measured at it
(``cadence_error``, :mod:`sec_assets.gold.cadence`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.gold import cadence, trusted
from sec_assets.gold.med import MIN_BASIS_DAYS, major_event_days
from sec_assets.gold.med import YEARS as MED_YEARS
from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.refs import render
from sec_assets.gold.trusted import month_verdicts
from sec_assets.month import LABEL_FORMAT
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

LABEL = (
    "proxy from SEC hourly snapshots; includes force majeure; *_excl_med excludes IEEE 1366 "
    "2.5-beta major event days, thresholds from the 5 years before each day or the history "
    f"since med_window_from (a threshold needs {MIN_BASIS_DAYS} days with outages: "
    "med_basis_days)"
)
REGIONS_SQL = (
    "SELECT DISTINCT cut_region, nombre_region FROM {{ ref('dim_geografia') }} WHERE cut_region > 0"
)
CUSTOMERS_SQL = (
    "SELECT cc.month, cc.cut_region, cc.customers AS region_customers, "
    "cc.source AS customers_source, cc.as_of AS customers_as_of, r.nombre_region "
    "FROM {{ ref('customer_caps') }} cc JOIN (" + REGIONS_SQL + ") r "
    "ON r.cut_region = cc.cut_region WHERE cc.source = 'sec'"
)
NO_CUSTOMERS = (
    "no customer counts from the SEC for the region in the month or any earlier month (only "
    "the shipped reference counts, silver.customer_caps source 'seed'): indices per customer "
    "undefined"
)
# What reliability_indices (and reliability_indices_omitted) read.
INPUTS = (
    Inputs(
        models=("region_daily_customer_hours", "region_daily_episodes"),
        queries={"customer_caps": CUSTOMERS_SQL, "regions": REGIONS_SQL},
    )
    | trusted.INPUTS
    | cadence.INPUTS
)
MONTH = ["cut_region", "month"]


def customer_counts(wh: Warehouse) -> pl.DataFrame:
    """The denominators: one row per region and checked month with an SEC customer count —
    ``month``, ``cut_region``, ``nombre_region``, ``region_customers``, ``customers_source``
    and ``customers_as_of`` (the month the count describes: the month's own, or the nearest
    earlier one the month was capped by)."""
    import polars as pl

    counts = wh.read(render(CUSTOMERS_SQL))
    return counts.with_columns(pl.col("region_customers").cast(pl.Int64))


def reliability_indices_omitted(wh: Warehouse) -> list[tuple[str, str]]:
    """``("<region> <YYYY-MM>", reason)`` for every region and checked month left out."""
    import polars as pl

    months = month_verdicts(wh).filter(pl.col("included")).select("month")
    grid = wh.read(render(REGIONS_SQL)).join(months, how="cross")
    missing = grid.join(customer_counts(wh), on=MONTH, how="anti").sort("month", "nombre_region")
    return [(f"{r} {m}", NO_CUSTOMERS) for r, m in missing.select("nombre_region", "month").rows()]


def _daily(wh: Warehouse, counts: pl.DataFrame) -> pl.DataFrame:
    """One row per region and day with outages, plus the first day of every counted month (so
    that a month without outages has its row); ``saidi`` in hours per customer."""
    import polars as pl

    ch = run_model(wh, "region_daily_customer_hours")
    eps = run_model(wh, "region_daily_episodes")
    firsts = counts.select("cut_region", (pl.col("month") + "-01").str.to_date().alias("dia"))
    keys = [ch.select("cut_region", "dia"), eps.select("cut_region", "dia"), firsts]
    return (
        pl.concat(keys, how="vertical")
        .unique()
        .join(ch, on=["cut_region", "dia"], how="left")
        .join(eps, on=["cut_region", "dia"], how="left")
        .with_columns(
            pl.col("dia").dt.strftime(LABEL_FORMAT).alias("month"),
            pl.col("customer_hours").fill_null(0.0),
            pl.col("episodes").fill_null(0),
            pl.col("peak_customers").fill_null(0),
        )
        .join(counts, on=MONTH, how="inner")  # the rest: reliability_indices_omitted
        .with_columns((pl.col("customer_hours") / pl.col("region_customers")).alias("saidi"))
    )


def reliability_indices(wh: Warehouse) -> pl.DataFrame:
    import polars as pl

    days = major_event_days(_daily(wh, customer_counts(wh)))
    normal = ~pl.col("med")
    served = pl.col("region_customers").first()
    out = (
        days.group_by("nombre_region", "month")
        .agg(
            served.alias("customers"),
            pl.col("customers_source").first(),
            pl.col("customers_as_of").first(),
            pl.col("episodes").sum().alias("events"),
            (pl.col("peak_customers").sum() * 1000 / served).alias("frequency_per_1000"),
            (pl.col("customer_hours").sum() / served).alias("duration_hours_per_customer"),
            (pl.col("peak_customers").filter(normal).sum() * 1000 / served).alias(
                "frequency_per_1000_excl_med"
            ),
            (pl.col("customer_hours").filter(normal).sum() / served).alias(
                "duration_hours_per_customer_excl_med"
            ),
            pl.col("med").sum().alias("major_event_days"),
            pl.col("dia").filter(pl.col("med")).sort().alias("major_event_dates"),
            pl.col("med_basis_days").min(),
        )
        .with_columns(
            (pl.col("month") + "-01").str.to_date().alias("mes"),
            pl.lit(LABEL).alias("label"),
            pl.col(
                "frequency_per_1000",
                "duration_hours_per_customer",
                "frequency_per_1000_excl_med",
                "duration_hours_per_customer_excl_med",
            ).round(4),
        )
        .with_columns(
            # The earliest day the month's thresholds draw on: 5 years back, or the history.
            pl.max_horizontal(
                pl.col("mes").dt.offset_by(f"-{MED_YEARS}y"),
                pl.col("mes").min().over("nombre_region"),
            ).alias("med_window_from")
        )
        .join(cadence.month_cadences(wh).drop("cadence"), on="month", how="left")
        .sort("mes", "nombre_region")
    )
    return out.select(
        "nombre_region",
        "mes",
        "customers",
        "customers_source",
        "customers_as_of",
        "events",
        "frequency_per_1000",
        "duration_hours_per_customer",
        "frequency_per_1000_excl_med",
        "duration_hours_per_customer_excl_med",
        "major_event_days",
        "major_event_dates",
        "med_window_from",
        "med_basis_days",
        "hours_per_day",
        "cadence_error",
        "label",
    )

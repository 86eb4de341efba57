"""Reliability indices per region and month — proxies of SAIFI/SAIDI from the SEC snapshots.

- ``frequency_per_1000``: customers affected (the sum of the peaks of the episodes that started
  in the month) per 1,000 customers of the region;
- ``duration_hours_per_customer``: customer-hours observed in the month (valid hours, scaled to
  24 h a day) per customer;
- the same with **major event days** excluded, by the IEEE 1366 2.5β method: per region, over
  every day of the history, α and β are the mean and standard deviation of ln(daily
  customer-hours per customer) on days with any; a day whose value exceeds exp(α + 2.5β) is a
  major event day.

Labelled as proxies: they include force majeure, count customers per episode peak, and use
the regional customer counts the service reports today.
"""

from __future__ import annotations

import polars as pl

from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.refs import render
from sec_assets.warehouse.base import Warehouse

LABEL = (
    "proxy from SEC hourly snapshots; includes force majeure; *_excl_med excludes IEEE 1366 "
    "2.5-beta major event days"
)
CUSTOMERS_SQL = (
    "SELECT rc.month, rc.cut_region, rc.customers AS region_customers, r.nombre_region "
    "FROM {{ ref('region_customers') }} rc JOIN (SELECT DISTINCT cut_region, nombre_region "
    "FROM {{ ref('dim_geografia') }} WHERE cut_region > 0) r ON r.cut_region = rc.cut_region"
)
# What reliability_indices reads.
INPUTS = Inputs(
    models=("region_daily_customer_hours", "region_daily_episodes"),
    queries={"region_customers": CUSTOMERS_SQL},
)


def major_event_days(daily: pl.DataFrame) -> pl.DataFrame:
    """``daily``: cut_region, dia, saidi (h per customer) → the same plus ``med`` (bool)."""
    logs = daily.filter(pl.col("saidi") > 0).with_columns(pl.col("saidi").log().alias("_ln"))
    stats = logs.group_by("cut_region").agg(
        pl.col("_ln").mean().alias("_a"), pl.col("_ln").std().fill_null(0.0).alias("_b")
    )
    return (
        daily.join(stats, on="cut_region", how="left")
        .with_columns(
            ((pl.col("_a") + 2.5 * pl.col("_b")).exp().alias("t_med")),
        )
        .with_columns((pl.col("saidi") > pl.col("t_med")).fill_null(False).alias("med"))
        .drop("_a", "_b")
    )


def reliability_indices(wh: Warehouse) -> pl.DataFrame:
    ch = run_model(wh, "region_daily_customer_hours")
    eps = run_model(wh, "region_daily_episodes")
    customers = wh.read(render(CUSTOMERS_SQL))
    days = (
        pl.concat([ch.select("cut_region", "dia"), eps.select("cut_region", "dia")], how="vertical")
        .unique()
        .join(ch, on=["cut_region", "dia"], how="left")
        .join(eps, on=["cut_region", "dia"], how="left")
        .with_columns(
            pl.col("dia").dt.strftime("%Y-%m").alias("month"),
            pl.col("customer_hours").fill_null(0.0),
            pl.col("episodes").fill_null(0),
            pl.col("peak_customers").fill_null(0),
        )
        .join(customers, on=["month", "cut_region"], how="inner")
        .with_columns((pl.col("customer_hours") / pl.col("region_customers")).alias("saidi"))
    )
    days = major_event_days(days)
    normal = ~pl.col("med")
    served = pl.col("region_customers").first()
    out = (
        days.group_by("nombre_region", "month")
        .agg(
            served.alias("customers"),
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
        .sort("mes", "nombre_region")
    )
    return out.select(
        "nombre_region",
        "mes",
        "customers",
        "events",
        "frequency_per_1000",
        "duration_hours_per_customer",
        "frequency_per_1000_excl_med",
        "duration_hours_per_customer_excl_med",
        "major_event_days",
        "label",
    )

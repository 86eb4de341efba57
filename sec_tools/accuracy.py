"""How well silver reconstructs the simulator's true outages. Pure Polars.

- ``found_share``: share of true outages (those with at least one hour in the month) that
  overlap a reconstructed episode of the same comuna;
- peak error: true *episodes* are the runs of hours in which a comuna has customers affected
  in the ground truth (what a perfect hourly observer would see); each is matched to the
  reconstructed episode of that comuna overlapping it most, and the relative error of its peak
  is taken (median, and customer-weighted mean of absolute errors);
- customer-hours error: per region, |reconstructed − true| / true over the month (mean and
  max), and its signed mean (the bias: near 0 when the estimator is unbiased);
- peak-sum ratio: the sum of the peaks of the episodes reconstructed as starting in the month
  over that of the true episodes (what ``time_series`` sums: below 1 when outages are missed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import polars as pl

from sec_assets.silver.events import reconstruct_events


def num(value: Any) -> float:
    return float(value or 0.0)


def true_episodes(truth_hourly: pl.DataFrame) -> pl.DataFrame:
    """Episodes a perfect hourly observer would reconstruct, at comuna level."""
    hourly = truth_hourly.group_by("cut_comuna", "hour").agg(pl.col("customers").sum())
    facts = hourly.select(
        pl.col("hour").alias("hora_local"),
        pl.col("cut_comuna").cast(pl.Int32).alias("geografia_id"),
        pl.lit("all").alias("empresa_id"),
        pl.col("customers").alias("clientes_afectados"),
    )
    first, last = cast(datetime, hourly["hour"].min()), cast(datetime, hourly["hour"].max())
    hours = pl.datetime_range(first, last, "1h", eager=True)
    ledger = pl.DataFrame({"hora_local": hours, "status": "ok"})
    return reconstruct_events(facts, ledger)


def measure(
    events: pl.DataFrame,
    truth_events: pl.DataFrame,
    truth_hourly: pl.DataFrame,
    *,
    start: datetime,
    end: datetime,
) -> dict[str, float]:
    """Compare reconstructed ``events`` with the truth for hours in [start, end)."""
    reco = events.select("geografia_id", "first_hour", "last_hour", "peak_customers")
    outages = truth_events.filter((pl.col("first_hour") < end) & (pl.col("last_hour") >= start))
    pairs = outages.select(
        "outage_id",
        pl.col("cut_comuna").cast(pl.Int32).alias("geografia_id"),
        pl.col("first_hour").alias("t0"),
        pl.col("last_hour").alias("t1"),
    ).join(reco, on="geografia_id")
    found = pairs.filter(
        (pl.col("first_hour") <= pl.col("t1")) & (pl.col("last_hour") >= pl.col("t0"))
    )
    found_share = found["outage_id"].n_unique() / max(outages.height, 1)

    true_eps = true_episodes(
        truth_hourly.filter(pl.col("hour").is_between(start, end, closed="left"))
    )
    matched = (
        true_eps.select(
            "geografia_id",
            pl.col("first_hour").alias("t0"),
            pl.col("last_hour").alias("t1"),
            pl.col("peak_customers").alias("true_peak"),
        )
        .join(reco, on="geografia_id")
        .with_columns(
            (pl.min_horizontal("t1", "last_hour") - pl.max_horizontal("t0", "first_hour")).alias(
                "_ov"
            )
        )
        .filter(pl.col("_ov") >= pl.duration(hours=0))
        .sort("_ov", descending=True)
        .unique(["geografia_id", "t0"], keep="first")
        .with_columns(
            ((pl.col("peak_customers") - pl.col("true_peak")) / pl.col("true_peak")).alias("_err")
        )
    )
    abs_err = matched["_err"].abs()
    weights = matched["true_peak"]

    reco_ch = (
        events.filter(pl.col("first_hour").is_between(start, end, closed="left"))
        .select((pl.col("geografia_id") // 1000).alias("cut_region"), "customer_hours")
        .group_by("cut_region")
        .agg(pl.col("customer_hours").sum().alias("reco"))
    )
    true_ch = (
        truth_hourly.filter(pl.col("hour").is_between(start, end, closed="left"))
        .group_by("cut_region")
        .agg(pl.col("customers").sum().cast(pl.Float64).alias("true"))
    )
    per_region = true_ch.join(reco_ch, on="cut_region", how="left").with_columns(
        ((pl.col("reco").fill_null(0) - pl.col("true")) / pl.col("true")).alias("signed"),
        ((pl.col("reco").fill_null(0) - pl.col("true")).abs() / pl.col("true")).alias("rel"),
    )
    started = pl.col("first_hour").is_between(start, end, closed="left")
    true_peaks = num(true_eps.filter(started)["peak_customers"].sum())
    reco_peaks = num(events.filter(started)["peak_customers"].sum())

    return {
        "true_outages": float(outages.height),
        "found_share": round(found_share, 4),
        "true_episodes": float(true_eps.height),
        "peak_median_rel_error": round(num(matched["_err"].median()), 4),
        "peak_weighted_abs_rel_error": round(
            num((abs_err * weights).sum()) / max(num(weights.sum()), 1.0), 4
        ),
        "customer_hours_region_mean_abs_rel_error": round(num(per_region["rel"].mean()), 4),
        "customer_hours_region_max_abs_rel_error": round(num(per_region["rel"].max()), 4),
        "customer_hours_region_mean_rel_error": round(num(per_region["signed"].mean()), 4),
        "customer_hours_worst_region": int(per_region.sort("rel")["cut_region"][-1]),
        "peak_sum_ratio": round(reco_peaks / true_peaks, 4) if true_peaks else 0.0,
    }

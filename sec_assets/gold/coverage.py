"""``data_coverage`` (a research payload): one row per month of the history — its hours and
what became of them, the customer counts it was capped by, how it was sampled
(``hours_per_day``, ``cadence``, ``cadence_error``: :mod:`sec_assets.gold.cadence`), and whether
gold counts it (its blocking checks passed) or why not — and one row per payload row left out
because its figure could not be computed, or per month a payload's sum of episode peaks leaves
out for its cadence (``scope`` = the payload id, ``key`` = the row or the month, ``reason``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.gold import cadence, investment, reliability, trusted
from sec_assets.gold.investment import investment_roi_omitted, investment_validation_omitted
from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.reliability import reliability_indices_omitted
from sec_assets.gold.trusted import month_verdicts
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

COUNTS = [
    "hours_expected",
    "ok",
    "empty",
    "failed",
    "degraded",
    "schema_error",
    "wrong_date",
    "missing",
    "revisions_seen",
]


def customers() -> list[pl.Expr]:
    """The customer counts a month was capped by (``silver.customer_caps``): a month whose
    counts are not its own SEC answer has customers_own_month false."""
    import polars as pl

    return [
        pl.col("customers_as_of").cast(pl.String),
        pl.col("customers_source").cast(pl.String),
        pl.col("customers_own_month").cast(pl.Boolean),
    ]


# What data_coverage reads.
INPUTS = (
    Inputs(models=("data_coverage",))
    | trusted.INPUTS
    | investment.ROI_INPUTS
    | investment.VALIDATION_INPUTS
    | reliability.INPUTS
    | cadence.INPUTS
)


def sampling() -> dict[str, pl.DataType]:
    """The sampling columns of a month and their dtypes."""
    import polars as pl

    return {"hours_per_day": pl.Int64(), "cadence": pl.String(), "cadence_error": pl.Float64()}


def data_coverage(wh: Warehouse) -> pl.DataFrame:
    import polars as pl

    months = (
        run_model(wh, "data_coverage")
        .join(month_verdicts(wh), on="month", how="left")
        .join(cadence.month_cadences(wh), on="month", how="left")
        .select(
            pl.lit("month").alias("scope"),
            pl.col("month").alias("key"),
            pl.col("included").fill_null(False),
            pl.col("reason"),
            *[pl.col(c).cast(pl.Int64) for c in COUNTS],
            *customers(),
            *[pl.col(c).cast(t) for c, t in sampling().items()],
        )
        .sort("key")
    )
    omitted = {
        "investment_roi": investment_roi_omitted,
        "investment_validation": investment_validation_omitted,
        "reliability_indices": reliability_indices_omitted,
    }
    left_out = [(pid, key, why) for pid, rows in omitted.items() for key, why in rows(wh)]
    left_out += cadence.peak_refusals(wh)
    rows = pl.DataFrame(
        [(scope, key, False, reason) for scope, key, reason in left_out],
        schema={"scope": pl.String, "key": pl.String, "included": pl.Boolean, "reason": pl.String},
        orient="row",
    ).with_columns(
        *[pl.lit(None, dtype=pl.Int64).alias(c) for c in COUNTS],
        pl.lit(None, dtype=pl.String).alias("customers_as_of"),
        pl.lit(None, dtype=pl.String).alias("customers_source"),
        pl.lit(None, dtype=pl.Boolean).alias("customers_own_month"),
        *[pl.lit(None, dtype=t).alias(c) for c, t in sampling().items()],
    )
    return pl.concat([months, rows], how="vertical")

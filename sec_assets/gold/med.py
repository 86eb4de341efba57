"""Major event days by the IEEE 1366 2.5β method, per region and day.

A day's threshold T_MED = exp(α + 2.5β) comes from the region's daily SAIDI values of the five
years before that day (the days ``d - 5 years <= t < d``; never the day itself nor a later
one): α and β are the mean and the sample standard deviation of ln(SAIDI) over the days of
that window with SAIDI > 0. The day is a major event day when its SAIDI exceeds T_MED.

With less than five years of history the window holds what exists: ``med_basis_days`` says how
many days with SAIDI > 0 a threshold stands on. A day whose window holds fewer than
:data:`MIN_BASIS_DAYS` such days has no threshold and is not classified (never a major event
day). Rolling sums over the days (Polars, per region), no loop over days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

YEARS = 5
WINDOW = f"{YEARS}y"
MIN_BASIS_DAYS = 30  # days with SAIDI > 0 a threshold needs
BETA_MULTIPLE = 2.5


def _window_sum(expr: pl.Expr) -> pl.Expr:
    """The sum of ``expr`` over the region's days in ``[dia - 5 years, dia)``."""
    return expr.rolling_sum_by("dia", window_size=WINDOW, closed="left").over("cut_region")


def major_event_days(daily: pl.DataFrame) -> pl.DataFrame:
    """``daily``: one row per ``cut_region`` and ``dia`` with ``saidi`` (per customer) → the same
    plus ``t_med`` (null when not computable), ``med_basis_days`` and ``med`` (bool)."""
    import polars as pl

    positive = pl.col("saidi") > 0
    ln = pl.when(positive).then(pl.col("saidi").log()).otherwise(0.0)
    n, s1, s2 = pl.col("med_basis_days"), pl.col("_s1"), pl.col("_s2")
    variance = ((s2 - s1 * s1 / n) / (n - 1)).clip(lower_bound=0.0)
    alpha_beta = s1 / n + BETA_MULTIPLE * variance.sqrt()
    return (
        daily.sort("cut_region", "dia")
        .with_columns(
            _window_sum(positive.cast(pl.Int64)).fill_null(0).alias("med_basis_days"),
            _window_sum(ln).alias("_s1"),
            _window_sum(ln * ln).alias("_s2"),
        )
        .with_columns(
            pl.when(n >= MIN_BASIS_DAYS).then(alpha_beta.exp()).otherwise(None).alias("t_med")
        )
        .with_columns((pl.col("saidi") > pl.col("t_med")).fill_null(False).alias("med"))
        .drop("_s1", "_s2")
    )

"""Each month's sampling cadence as gold states it (``docs/cadence.md``).

- ``month_cadences``: per month, ``hours_per_day`` (samples a day of its answered hours, the
  sparsest when they mix), ``cadence`` (which sources, at what cadence, how many days) and
  ``cadence_error``: the error of a region's monthly customer-hours measured at that cadence
  against the simulator's truth (``sec_assets/seeds/cadence_error.csv``, written from
  ``make bench``'s accuracy; 0 at 24 a day, null for a cadence never measured);
- ``peak_refusals``: the months a sum of episode peaks leaves out — those sampled sparser than
  the finest cadence of the trusted history — for every model that reads
  ``ref(..., cadence='finest')``, each with the reason.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sec_assets.gold.models import Inputs, model, model_names
from sec_assets.gold.refs import finest_cadence, render, sparse_months_sql, trusted_months_sql
from sec_assets.masterdata import SEEDS
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

CADENCE_SQL = (
    "SELECT month, source, hours_per_day, days "
    "FROM {{ ref('month_cadence', months='all') }} WHERE source <> 'none'"
)
INPUTS = Inputs(queries={"month_cadence": CADENCE_SQL})
ERROR = "customer_hours_region_mean_abs_rel_error"


@cache
def cadence_errors() -> pl.DataFrame:
    """The measured errors per cadence (``hours_per_day``), as shipped."""
    import polars as pl

    with (SEEDS / "cadence_error.csv").open("rb") as fh:
        return pl.read_csv(fh, schema_overrides={"hours_per_day": pl.Int32})


def month_cadences(wh: Warehouse) -> pl.DataFrame:
    """month, hours_per_day, cadence, cadence_error — one row per month with answered hours."""
    import polars as pl

    rows = wh.read(render(CADENCE_SQL)).sort("month", "hours_per_day", "source")
    errors = cadence_errors().select("hours_per_day", pl.col(ERROR).alias("cadence_error"))
    label = pl.format("{}/day {} ({} d)", pl.col("hours_per_day"), pl.col("source"), pl.col("days"))
    return (
        rows.with_columns(label.alias("_part"))
        .group_by("month")
        .agg(
            pl.col("hours_per_day").min().cast(pl.Int64),
            pl.col("_part").str.join(", ").alias("cadence"),
        )
        .join(errors.cast({"hours_per_day": pl.Int64}), on="hours_per_day", how="left")
        .with_columns(
            pl.when(pl.col("cadence_error").is_null())
            .then(pl.col("cadence") + "; error not measured at this cadence")
            .otherwise(pl.col("cadence"))
            .alias("cadence")
        )
        .sort("month")
    )


def peak_models() -> list[str]:
    """The gold models whose sums of episode peaks keep to the finest cadence."""
    return [m for m in model_names() if finest_cadence(model(m).source)]


def peak_refusals(wh: Warehouse) -> list[tuple[str, str, str]]:
    """(model, month, reason) for every trusted month a sum of episode peaks leaves out."""
    import polars as pl

    trusted = trusted_months_sql()
    left_out = wh.read(sparse_months_sql(trusted))["month"].to_list()
    if not left_out:
        return []
    cad = month_cadences(wh)
    kept = set(wh.read(trusted)["month"].to_list()) - set(left_out)
    sparse = cad.filter(pl.col("month").is_in(left_out))
    finest = max(cad.filter(pl.col("month").is_in(sorted(kept)))["hours_per_day"].to_list())
    errors = cadence_errors().select("hours_per_day", "peak_sum_ratio")
    out = []
    for row in sparse.iter_rows(named=True):
        ratio = errors.filter(pl.col("hours_per_day") == row["hours_per_day"])["peak_sum_ratio"]
        seen = (
            f"; at that cadence a month shows {float(ratio[0]):.0%} of its true peaks"
            if ratio.len()
            else ""
        )
        reason = (
            f"sampled at {row['cadence']}, sparser than the history's {finest}/day: a sum of "
            f"episode peaks misses the outages between samples{seen} (docs/cadence.md); "
            "left out of this payload"
        )
        out += [(name, row["month"], reason) for name in peak_models()]
    return out

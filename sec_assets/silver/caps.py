"""The customer counts a month's facts are capped by (``silver.customer_caps``).

A region's cap in a month is the SEC's count for that month, else for the nearest earlier month
(``region_customers`` with ``source = 'sec'``), else the reference count shipped with the code
(``seeds/regions.csv``, ``source = 'seed'``, ``as_of`` = the seed's version month). The
counts used are stored beside the month's facts, 16 rows a month, in the transaction that
writes them: ``customers_within_region_total`` checks
against the very same counts, and ``data_coverage`` names the months capped by counts that are
not their own (a per-month table is cheaper than a column on every fact).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.silver.dims import SEED_VERSION
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

#: The reference counts' as-of: the seed version's month (``seeds/README.md``).
SEED_AS_OF = SEED_VERSION.replace(".", "-")


def schema() -> dict[str, pl.DataType]:
    """The columns of a month's caps and their dtypes."""
    import polars as pl

    return {
        "month": pl.Utf8(),
        "cut_region": pl.Int32(),
        "customers": pl.Int64(),
        "as_of": pl.Utf8(),  # the month whose region_customers these are, or SEED_AS_OF
        "source": pl.Utf8(),  # 'sec' (GetClientesRegional of as_of) or 'seed' (regions.csv)
    }


def reference_caps(month: str) -> pl.DataFrame:
    """The seed's counts (for a region no month up to ``month`` has an SEC count of)."""
    import polars as pl

    return regions().select(
        pl.lit(month).alias("month"),
        pl.col("cut_region").cast(pl.Int32),
        pl.col("clientes").cast(pl.Int64).alias("customers"),
        pl.lit(SEED_AS_OF).alias("as_of"),
        pl.lit("seed").alias("source"),
    )


def read_caps(wh: Warehouse, months: list[Month]) -> dict[Month, pl.DataFrame]:
    """Every month's caps (:data:`schema()`), from one query whatever the number of months: per
    region, the SEC's count of the latest month not after it (a region the service did not
    answer that month is stored as the seed's estimate: the SEC's earlier answer is preferred),
    else the reference count."""
    import polars as pl

    sec = wh.read(
        "SELECT month AS as_of, cut_region, customers FROM silver.region_customers "
        "WHERE source = 'sec' AND month <= :last",
        {"last": max(months).label},
    ).with_columns(pl.col("cut_region").cast(pl.Int32), _ordinal("as_of").alias("_m"))
    reference = reference_caps("").drop("month")
    labels = [m.label for m in months]
    wanted = pl.DataFrame({"month": labels}).join(reference.select("cut_region"), how="cross")
    found = (
        wanted.with_columns(_ordinal("month").alias("_m"))
        .sort("_m")
        .join_asof(
            sec.sort("_m"), on="_m", by="cut_region", strategy="backward", check_sortedness=False
        )
        .join(reference, on="cut_region", suffix="_ref")
    )
    caps = found.select(
        "month",
        "cut_region",
        pl.coalesce("customers", "customers_ref").alias("customers"),
        pl.coalesce("as_of", "as_of_ref").alias("as_of"),
        pl.when(pl.col("customers").is_null())
        .then(pl.lit("seed"))
        .otherwise(pl.lit("sec"))
        .alias("source"),
    ).cast(pl.Schema(schema()))
    return {m: caps.filter(pl.col("month") == m.label).sort("cut_region") for m in months}


def _ordinal(column: str) -> pl.Expr:
    """``YYYY-MM`` as a month number (sorted, for the as-of join)."""
    import polars as pl

    y, m = pl.col(column).str.slice(0, 4), pl.col(column).str.slice(5, 2)
    return y.cast(pl.Int32) * 12 + m.cast(pl.Int32)


def stored_caps(caps: pl.DataFrame, month: str) -> pl.DataFrame:
    """``caps`` as ``silver.customer_caps`` stores them for ``month``. A frame of counts
    alone (``cut_region``, ``customers``: a benchmark's, a test's) is the month's own SEC
    counts."""
    import polars as pl

    filled = caps.with_columns(
        *(pl.lit(v).alias(c) for c, v in (("as_of", month), ("source", "sec")) if c not in caps)
    )
    return (
        filled.with_columns(pl.lit(month).alias("month"))
        .select(list(schema()))
        .cast(pl.Schema(schema()))
        .sort("cut_region")
    )

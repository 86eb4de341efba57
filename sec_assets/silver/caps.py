"""The customer counts a month's facts are capped by (``silver.customer_caps``).

A month's cap is its own ``region_customers`` if it has any, else the nearest earlier month's,
else the reference counts shipped with the code (``seeds/regions.csv``, ``source = 'seed'``,
``as_of`` = the seed's version month). The counts used are stored beside the month's facts,
16 rows a month, in the transaction that writes them: ``customers_within_region_total`` checks
against the very same counts, and ``data_coverage`` names the months capped by counts that are
not their own (a per-month table is cheaper than a column on every fact).
"""

from __future__ import annotations

import bisect

import polars as pl

from sec_assets.masterdata import regions
from sec_assets.silver.dims import SEED_VERSION
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.params import in_list

#: The reference counts' as-of: the seed version's month (``seeds/README.md``).
SEED_AS_OF = SEED_VERSION.replace(".", "-")
SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Utf8(),
    "cut_region": pl.Int32(),
    "customers": pl.Int64(),
    "as_of": pl.Utf8(),  # the month whose region_customers these are, or SEED_AS_OF
    "source": pl.Utf8(),  # 'sec' (GetClientesRegional of as_of) or 'seed' (regions.csv)
}


def reference_caps(month: str) -> pl.DataFrame:
    """The seed's counts, for a month when no month up to it has counts of its own."""
    return regions().select(
        pl.lit(month).alias("month"),
        pl.col("cut_region").cast(pl.Int32),
        pl.col("clientes").cast(pl.Int64).alias("customers"),
        pl.lit(SEED_AS_OF).alias("as_of"),
        pl.lit("seed").alias("source"),
    )


def read_caps(wh: Warehouse, months: list[str]) -> dict[str, pl.DataFrame]:
    """Every month's caps (:data:`SCHEMA`), in two queries whatever the number of months."""
    have = wh.read(
        "SELECT DISTINCT month FROM silver.region_customers WHERE month <= :last ORDER BY month",
        {"last": max(months)},
    )["month"].to_list()
    as_of = {m: _nearest(have, m) for m in months}
    used = sorted({a for a in as_of.values() if a is not None})
    counts = pl.DataFrame(schema={"as_of": pl.Utf8, "cut_region": pl.Int32})
    if used:
        marks, params = in_list("m", used)
        counts = wh.read(
            "SELECT month AS as_of, cut_region, customers, source FROM silver.region_customers "
            f"WHERE month IN {marks}",
            params,
        )
    out = {}
    for month, a in as_of.items():
        if a is None:
            out[month] = reference_caps(month)
            continue
        frame = counts.filter(pl.col("as_of") == a).with_columns(pl.lit(month).alias("month"))
        out[month] = frame.select(list(SCHEMA)).cast(pl.Schema(SCHEMA)).sort("cut_region")
    return out


def _nearest(have: list[str], month: str) -> str | None:
    """The latest of the sorted months ``have`` that is not after ``month``."""
    i = bisect.bisect_right(have, month)
    return have[i - 1] if i else None


def describe(caps: pl.DataFrame) -> dict[str, str]:
    """The month's caps in a few words: ``as_of`` and ``source`` (sec, seed or mixed)."""
    sources = sorted(set(caps["source"].to_list()))
    return {
        "as_of": str(caps["as_of"].min()),
        "source": sources[0] if len(sources) == 1 else "mixed",
    }


def stored_caps(caps: pl.DataFrame, month: str) -> pl.DataFrame:
    """``caps`` as ``silver.customer_caps`` stores them for ``month``. A frame of counts
    alone (``cut_region``, ``customers``: a benchmark's, a test's) is the month's own SEC
    counts."""
    filled = caps.with_columns(
        *(pl.lit(v).alias(c) for c, v in (("as_of", month), ("source", "sec")) if c not in caps)
    )
    return (
        filled.with_columns(pl.lit(month).alias("month"))
        .select(list(SCHEMA))
        .cast(pl.Schema(SCHEMA))
        .sort("cut_region")
    )

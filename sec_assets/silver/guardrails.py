"""Guardrails on the month's facts: what a value the service got wrong becomes, and the counts.

A value the service got wrong is capped or zeroed and counted, never a failed blocking check:
``customers_within_region_total`` checks the invariant ``cap_region_totals`` guarantees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.silver.bronze_reader import RAW_FIELDS

if TYPE_CHECKING:
    import polars as pl

GUARDRAILS = (
    "clientes_missing",
    "geo_unknown",
    "empresa_unknown",
    "fecha_fallback",
    "capped",
    "region_total_capped",
    "duplicate_rows",
    "control_chars",
)
ROW_GUARDRAILS = GUARDRAILS[:4]  # flagged on raw rows, before the facts are summed


def cap_region_totals(facts: pl.DataFrame) -> pl.DataFrame:
    """Make every (hour, region) add up to at most the region's customers (``_cap``).

    Where the facts of an hour and region exceed it, the rows already capped (values the service
    got wrong) give way first: they share what the other rows leave, in proportion. Only when
    the other rows alone exceed it are those scaled down, in proportion. Integer floor division,
    so the total never exceeds the cap. Reduced rows are flagged ``flag_region_total_capped``
    (stored as ``flag_capped``, counted apart)."""
    import polars as pl

    region = ["hour_key", "cut_region"]
    c, cap, capped = pl.col("clientes_afectados"), pl.col("_cap"), pl.col("flag_capped")
    total = c.sum().over(region)
    by_capped = pl.when(capped).then(c).otherwise(0).sum().over(region)
    others = total - by_capped
    budget = (cap - others).clip(lower_bound=0)
    scaled = (
        pl.when(capped)
        .then(pl.when(budget < by_capped).then(c * budget // by_capped).otherwise(c))
        .otherwise(pl.when(cap < others).then(c * cap // others).otherwise(c))
    )
    over = cap.is_not_null() & (total > cap)
    out = facts.with_columns(pl.when(over).then(scaled).otherwise(c).cast(pl.Int64).alias("_new"))
    reduced = pl.col("_new") < c
    return out.with_columns(
        reduced.alias("flag_region_total_capped"),
        pl.col("_new").alias("clientes_afectados"),
    ).drop("_new")


def guardrail_counts(rows: pl.DataFrame, facts: pl.DataFrame, month: str) -> pl.DataFrame:
    """Rows and customers each guardrail touched: raw rows for the row guardrails, facts (after
    the cap) for ``capped`` and ``region_total_capped``, and the extra copies of identical
    duplicate rows within an hour (summed like fragments, as the legacy era's rule is), and the
    rows whose text lost a control character."""
    import polars as pl

    counts = [
        (int(rows[f"flag_{g}"].sum()), int(rows.filter(pl.col(f"flag_{g}"))["_c"].sum()))
        for g in ROW_GUARDRAILS
    ]
    for g in ("capped", "region_total_capped"):
        hit = facts.filter(pl.col(f"flag_{g}"))
        counts.append((hit.height, int(hit["clientes_afectados"].sum())))
    dup = (
        rows.filter(~pl.struct("hour_key", *RAW_FIELDS).is_first_distinct())
        if rows.height
        else rows
    )
    counts.append((dup.height, int(dup["_c"].sum())))
    cleaned = rows.filter(pl.col("flag_control_chars")) if rows.height else rows
    counts.append((cleaned.height, int(cleaned["_c"].sum())))
    return pl.DataFrame(
        {
            "month": [month] * len(GUARDRAILS),
            "guardrail": list(GUARDRAILS),
            "rows": [n for n, _ in counts],
            "customers": [cust for _, cust in counts],
        },
        schema={"month": pl.Utf8, "guardrail": pl.Utf8, "rows": pl.Int64, "customers": pl.Int64},
    )

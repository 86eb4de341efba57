"""Silver's own check of the numbers in stored answers, vectorized: the rule of
``sec_client/numbers.py`` (finite, an integer, within the field's range, whether sent as a
number or as a string). Bronze applies it before storing an answer as ok; this guards what older
code stored, so silver never crashes on a value bronze accepted. An hour with such a value is
quarantined as ``schema_error``, not loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.sec_client.numbers import NUMERIC_TEXT, RANGES

if TYPE_CHECKING:
    import polars as pl


def _breaks(field: str) -> pl.Expr:
    import polars as pl

    lo, hi = RANGES[field]
    text = pl.col(field)
    num = text.str.strip_chars().cast(pl.Float64, strict=False)
    wrong = (
        num.is_null()
        | num.is_nan()
        | num.is_infinite()
        | (num != num.floor())
        | (num < lo)
        | (num > hi)
    )
    return text.str.contains(NUMERIC_TEXT).fill_null(False) & wrong


def bad_number_hours(rows: pl.DataFrame) -> pl.DataFrame:
    """``hour_key, error`` for each hour with a number that breaks its field's rule (the first
    such value, named)."""
    import polars as pl

    fields = [f for f in RANGES if f in rows.columns]
    if not fields or rows.is_empty():
        return pl.DataFrame(schema={"hour_key": pl.Utf8, "error": pl.Utf8})
    first_bad = pl.coalesce(pl.when(_breaks(f)).then(pl.lit(f"{f}=") + pl.col(f)) for f in fields)
    return (
        rows.select("hour_key", first_bad.alias("_bad"))
        .drop_nulls("_bad")
        .group_by("hour_key", maintain_order=True)
        .agg(pl.col("_bad").first())
        .select(
            "hour_key",
            (
                pl.lit("stored answer refused by silver: ")
                + pl.col("_bad")
                + pl.lit(" is not a valid number for its field (finite integer within range)")
            ).alias("error"),
        )
    )

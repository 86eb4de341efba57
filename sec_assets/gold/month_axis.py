"""A monthly time axis without jumps: every month from the first to the last, the months
without data kept as missing (null) rows, so a figure leaves a gap instead of drawing
2024-12 next to 2026-12."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.month import LABEL_FORMAT

if TYPE_CHECKING:
    import polars as pl


def complete_months(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``frame`` with one row per month from its first to its last in ``column`` (``YYYY-MM``
    text or a month's first day as a date), in order; a month absent from ``frame`` gets a row
    whose other columns are null. Rows of the same month are kept as they are."""
    import polars as pl

    if frame.is_empty():
        return frame
    dtype = frame.schema[column]
    is_text = dtype == pl.String
    as_date = pl.concat_str(pl.col(column), pl.lit("-01")).str.to_date("%Y-%m-%d")
    dated = frame.with_columns((as_date if is_text else pl.col(column).cast(pl.Date)).alias(column))
    bounds = dated.select(pl.col(column).min().alias("a"), pl.col(column).max().alias("b")).row(0)
    axis = pl.date_range(bounds[0], bounds[1], "1mo", eager=True).alias(column).to_frame()
    full = axis.join(dated, on=column, how="left", maintain_order="left")
    shown = pl.col(column).dt.strftime(LABEL_FORMAT) if is_text else pl.col(column).cast(dtype)
    return full.with_columns(shown).select(frame.columns)

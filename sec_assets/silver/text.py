"""Text from the service, normalised once before any load so that DuckDB and Postgres store the
same characters: tab, newline and carriage return become a space; NUL and every other control
character (C0, DEL, C1) is removed. Postgres refuses NUL in text, DuckDB keeps it: without this
the two engines would differ, or a month would load on one and fail on the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

#: The SEC's text fields that reach the warehouse (names, free text, the start date as text).
TEXT_FIELDS = (
    "NOMBRE_REGION",
    "NOMBRE_COMUNA",
    "NOMBRE_EMPRESA",
    "ACTUALIZADO_HACE",
    "FECHA_INT_STR",
)
_ANY_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_BLANKS = r"[\t\n\r]"
_OTHER_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


def clean_text(expr: pl.Expr) -> pl.Expr:
    """``expr`` (text) without control characters."""
    return expr.str.replace_all(_BLANKS, " ").str.replace_all(_OTHER_CONTROL, "")


def has_control(expr: pl.Expr) -> pl.Expr:
    """True where ``expr`` holds a control character (null stays False)."""
    return expr.str.contains(_ANY_CONTROL).fill_null(False)


def clean_fields(rows: pl.DataFrame, flag: str) -> pl.DataFrame:
    """``rows`` with :data:`TEXT_FIELDS` cleaned and ``flag`` True on the rows that changed."""
    import polars as pl

    fields = [f for f in TEXT_FIELDS if f in rows.columns]
    touched = pl.any_horizontal(*(has_control(pl.col(f)) for f in fields)) if fields else None
    return rows.with_columns(
        (touched if touched is not None else pl.lit(False)).alias(flag),
        *(clean_text(pl.col(f)).alias(f) for f in fields),
    )

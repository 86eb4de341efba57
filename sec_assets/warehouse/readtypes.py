"""One set of dtypes for query results, whichever engine answered.

Integers are Int64, decimals and floats Float64 (Postgres ``numeric`` carries no scale for
computed columns, so ``sum(bigint)`` cannot be told from money: cast to BIGINT in SQL when an
integer is wanted), timestamps ``Datetime("us")``, TIMESTAMPTZ ``Datetime("us", "UTC")``,
dates ``Date``, booleans ``Boolean``, the rest ``String``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# Postgres type OIDs (pg_type) → how their CSV text becomes the dtype above.
PG_BOOL = 16
PG_INTS = frozenset({20, 21, 23, 26})
PG_FLOATS = frozenset({700, 701, 1700})
PG_DATE = 1082
PG_TIME = 1083
PG_TIMESTAMP = 1114
PG_TIMESTAMPTZ = 1184


def normalize(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB's Arrow dtypes mapped to the shared set."""
    import polars as pl

    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype.is_integer() and dtype != pl.Int64:
            exprs.append(col.cast(pl.Int64))
        elif isinstance(dtype, pl.Decimal) or dtype == pl.Float32:
            exprs.append(col.cast(pl.Float64))
        elif isinstance(dtype, pl.Datetime) and dtype.time_unit != "us":
            exprs.append(col.dt.cast_time_unit("us"))
    return frame.with_columns(exprs) if exprs else frame


def from_pg_text(name: str, oid: int) -> pl.Expr:
    """The expression turning Postgres CSV text of type ``oid`` into the shared dtype.

    The session runs with ``TimeZone = UTC``, so TIMESTAMPTZ text always ends in ``+00``.
    """
    import polars as pl

    col = pl.col(name)
    if oid == PG_BOOL:
        return col.eq("t")
    if oid in PG_INTS:
        return col.cast(pl.Int64)
    if oid in PG_FLOATS:
        return col.cast(pl.Float64)
    if oid == PG_DATE:
        return col.str.to_date("%Y-%m-%d")
    if oid == PG_TIME:
        return col.str.to_time("%H:%M:%S%.f")
    if oid == PG_TIMESTAMP:
        return col.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
    if oid == PG_TIMESTAMPTZ:
        return col.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", time_unit="us").dt.convert_time_zone(
            "UTC"
        )
    return col


def pg_schema(names: list[str], oids: list[int]) -> dict[str, pl.DataType]:
    """The dtypes :func:`from_pg_text` produces, for an empty result."""
    import polars as pl

    out: dict[str, pl.DataType] = {}
    for name, oid in zip(names, oids, strict=True):
        if oid == PG_BOOL:
            out[name] = pl.Boolean()
        elif oid in PG_INTS:
            out[name] = pl.Int64()
        elif oid in PG_FLOATS:
            out[name] = pl.Float64()
        elif oid == PG_DATE:
            out[name] = pl.Date()
        elif oid == PG_TIME:
            out[name] = pl.Time()
        elif oid == PG_TIMESTAMP:
            out[name] = pl.Datetime("us")
        elif oid == PG_TIMESTAMPTZ:
            out[name] = pl.Datetime("us", "UTC")
        else:
            out[name] = pl.String()
    return out

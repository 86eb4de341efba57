"""Rows as a Dagster table in materialization metadata (``MetadataValue.table``), with a column
schema, instead of hand-built markdown: the UI renders, sorts and types it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import dagster as dg

if TYPE_CHECKING:
    import polars as pl

Cell = str | int | float | bool | None


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _type(dtype: pl.DataType) -> str:
    import polars as pl

    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    return "string"


def rows_table(
    rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]
) -> dg.TableMetadataValue:
    """``rows`` (dicts) as a table whose schema is ``columns`` (name → type), in that order."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns.items()])
    records = [dg.TableRecord({name: _cell(row.get(name)) for name in columns}) for row in rows]
    return dg.MetadataValue.table(records, schema=schema)


def frame_table(frame: pl.DataFrame, limit: int = 8) -> dg.TableMetadataValue:
    """The first ``limit`` rows of ``frame``, its column types kept."""
    head = frame.head(limit)
    columns = {name: _type(dtype) for name, dtype in head.schema.items()}
    return rows_table(head.to_dicts(), columns)

"""Tables stored as one physical table per month, on both engines.

Loading a month into one big table pays per-row key work that grows with the history (a
foreign-key trigger per row on Postgres; on DuckDB one primary-key index over every month,
rewritten at each checkpoint). So ``<table>__YYYY_MM`` per month, plus ``<table>__default``,
shown as ``silver.<table>``: on Postgres by LIST partitioning (fill by COPY, then ATTACH, which
validates the foreign keys set-based; swaps of one table serialized), on DuckDB by a
``UNION ALL`` view (the month's keys checked set-based by :mod:`.validate`, none declared).
A month's replace drops the old table: no per-row delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sec_assets.warehouse.schema import DEFAULT_SUFFIX, TableInfo

#: The column DuckDB's view-partitioned tables are split by.
VIEW_PARTITION_COLUMN = "month"
__all__ = [
    "DEFAULT_SUFFIX",
    "VIEW_PARTITION_COLUMN",
    "partition_table",
    "sql_literal",
    "table_for",
]


def sql_literal(value: object) -> str:
    """A partition bound as a SQL string literal (DDL takes no bind parameters)."""
    if not isinstance(value, str):
        raise ValueError(f"partition values are text here, got {value!r}")
    return "'" + value.replace("'", "''") + "'"


def partition_table(info: TableInfo, values: Mapping[str, Any]) -> str:
    """``<table>__<value>``, e.g. fact_interrupciones__2024_08."""
    return table_for(info.name, [values[c] for c in info.partition_by])


def table_for(table: str, values: list[Any]) -> str:
    """The name of ``table``'s physical table holding ``values`` of its partition columns."""
    suffix = "_".join("".join(ch if ch.isalnum() else "_" for ch in str(v).lower()) for v in values)
    return f"{table}__{suffix}"[:63]

"""Tables stored as one physical table per month, on both engines.

``fact_interrupciones`` holds about 100k rows a month (and, on Postgres, ``fact_eventos``
about 12k: each episode load rewrites the months it touches). Loading a month into one big table
pays per-row key work that grows with the history (Postgres runs a foreign-key trigger per
row; DuckDB inserts into, and at every checkpoint rewrites, one primary-key index over all
months). Both engines therefore keep a table per month, ``<table>__YYYY_MM``, plus
``<table>__default`` for rows written outside a month's load, and show them as
``silver.<table>``:

* Postgres: declarative LIST partitioning. A month's table is filled by COPY (no per-row
  trigger), then ATTACHed, which validates the foreign keys with one set-based query. Swaps
  of one table are serialized (SHARE UPDATE EXCLUSIVE, taken first: no deadlock).
* DuckDB: a view, ``UNION ALL`` of the month tables. A month's table is created with the
  contract's NOT NULL and CHECK constraints, filled from Arrow, its foreign keys checked in one
  query (:mod:`.validate`), and given its primary key in bulk.

Either way the replace of a month drops the old table: no per-row delete either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sec_assets.warehouse.schema import DEFAULT_SUFFIX, TableInfo

#: The column DuckDB's view-partitioned tables are split by.
VIEW_PARTITION_COLUMN = "month"
__all__ = ["DEFAULT_SUFFIX", "VIEW_PARTITION_COLUMN", "partition_table", "sql_literal"]


def sql_literal(value: object) -> str:
    """A partition bound as a SQL string literal (DDL takes no bind parameters)."""
    if not isinstance(value, str):
        raise ValueError(f"partition values are text here, got {value!r}")
    return "'" + value.replace("'", "''") + "'"


def partition_table(info: TableInfo, values: Mapping[str, Any]) -> str:
    """``<table>__<value>``, e.g. fact_interrupciones__2024_08."""
    suffix = "_".join(
        "".join(ch if ch.isalnum() else "_" for ch in str(values[c]).lower())
        for c in info.partition_by
    )
    return f"{info.name}__{suffix}"[:63]

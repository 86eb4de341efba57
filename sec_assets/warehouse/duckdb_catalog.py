"""DuckDB's catalog read as the silver contracts: the tables, their columns and keys.

A table stored per month (a view over ``<name>__*`` tables, :mod:`.duckdb_months`) is listed
once, with its keys taken from ``<name>__default``; its month tables are not listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.warehouse.partitions import DEFAULT_SUFFIX, VIEW_PARTITION_COLUMN
from sec_assets.warehouse.schema import SCHEMA, TableInfo, build_tables

if TYPE_CHECKING:
    from sec_assets.warehouse.tx import Tx

_COLUMNS = f"""
SELECT table_name, column_name, data_type FROM duckdb_columns()
WHERE schema_name = '{SCHEMA}' AND database_name = current_database()
ORDER BY table_name, column_index
"""
_CONSTRAINTS = f"""
SELECT table_name,
       CASE constraint_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' ELSE 'f' END,
       constraint_column_names, referenced_table, referenced_column_names
FROM duckdb_constraints()
WHERE schema_name = '{SCHEMA}' AND database_name = current_database()
  AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
ORDER BY table_name, constraint_index
"""
_VIEWS = f"""
SELECT view_name FROM duckdb_views()
WHERE schema_name = '{SCHEMA}' AND database_name = current_database() AND NOT internal
"""


def introspect(tx: Tx) -> list[TableInfo]:
    """Every contract's table of schema silver, as the catalog describes it."""
    all_columns = tx.fetch(_COLUMNS)
    tables = {r[0] for r in all_columns}
    stored = {v for (v,) in tx.fetch(_VIEWS) if v + DEFAULT_SUFFIX in tables}

    def own(table: str) -> str | None:
        """The contract a catalog table belongs to (None: a month table)."""
        for base in stored:
            if table == base + DEFAULT_SUFFIX:
                return base
            if table.startswith(base + "__"):
                return None
        return table

    columns = [r for r in all_columns if own(r[0]) == r[0]]
    constraints = []
    for table, *rest in tx.fetch(_CONSTRAINTS):
        if (name := own(table)) is not None:
            constraints.append((name, *rest))
    return build_tables(columns, constraints, dict.fromkeys(stored, (VIEW_PARTITION_COLUMN,)))

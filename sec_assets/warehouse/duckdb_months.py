"""A table DuckDB stores per month: month tables ``<name>__<month>`` and a DEFAULT table behind
the view ``silver.<name>`` (:mod:`.partitions`).

A month table declares no key: only its load writes it, and the load refuses null and repeated
keys in the whole frame and checks every foreign key of the month in one query
(:mod:`.validate`) before it is used.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from sec_assets.warehouse.errors import WarehouseError
from sec_assets.warehouse.partitions import DEFAULT_SUFFIX, table_for
from sec_assets.warehouse.schema import SCHEMA, TableInfo, quote

if TYPE_CHECKING:
    from sec_assets.warehouse.tx import Tx

_VIEW_SOURCE = re.compile(rf'FROM {SCHEMA}\."?(\w+)"?')  # the tables a stored view reads
_PRIMARY_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)")
_FOREIGN_KEY = re.compile(r",\s*FOREIGN KEY\s*\([^)]*\)\s*REFERENCES\s*[\w.\"]+\s*\([^)]*\)")


def month_table_ddl(tx: Tx, info: TableInfo, name: str) -> str:
    """The DDL of month table ``name``: the DEFAULT table's definition (NOT NULL and CHECK
    constraints) without its keys."""
    [(template,)] = tx.fetch(
        "SELECT sql FROM duckdb_tables() WHERE schema_name = :s AND table_name = :t "
        "AND database_name = current_database()",
        {"s": SCHEMA, "t": info.name + DEFAULT_SUFFIX},
    )
    ddl, n = _PRIMARY_KEY.subn("", template)
    ddl, n_fk = _FOREIGN_KEY.subn("", ddl)
    if (
        n != 1
        or n_fk != len(info.foreign_keys)
        or f"{SCHEMA}.{info.name}{DEFAULT_SUFFIX}(" not in ddl
    ):
        raise WarehouseError(f"unexpected definition of {info.name}{DEFAULT_SUFFIX}: {ddl}")
    return ddl.replace(f"{SCHEMA}.{info.name}{DEFAULT_SUFFIX}(", f"{SCHEMA}.{name}(", 1)


def rebuild_view(tx: Tx, table: str, *, added: str | None = None) -> None:
    """``silver.<table>`` = UNION ALL of its DEFAULT and month tables. ``added``: the month
    table just created; if the view reads it already, it was the same month re-loaded (a
    month table is dropped only to be re-created in the same transaction), and the view
    stands as it is without listing the catalog's tables."""
    current = tx.fetch(
        "SELECT sql FROM duckdb_views() WHERE schema_name = :s AND view_name = :v "
        "AND database_name = current_database()",
        {"s": SCHEMA, "v": table},
    )
    sources = set(_VIEW_SOURCE.findall(current[0][0])) if current else set()
    if added is not None and added in sources:
        return
    parts = [
        name
        for (name,) in tx.fetch(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = :s "
            "AND database_name = current_database() AND starts_with(table_name, :p) "
            "ORDER BY table_name",
            {"s": SCHEMA, "p": table + "__"},
        )
    ]
    union = " UNION ALL ".join(f"SELECT * FROM {quote(SCHEMA)}.{quote(p)}" for p in parts)
    # A month re-loaded keeps its table's name: the view (bound by name at each query)
    # already reads it. Re-creating it would cost every load the whole history's branches.
    if current and sources == set(parts):
        return
    tx.execute(f"CREATE OR REPLACE VIEW {quote(SCHEMA)}.{quote(table)} AS {union}")


def scoped(tx: Tx, sql: str, months: Sequence[str], per_month: Collection[str]) -> str:
    """``sql`` with each ``silver.<table>`` of ``per_month`` replaced by the UNION ALL of its
    DEFAULT table and the tables of ``months`` that exist. DuckDB binds and plans every branch
    of the view over all months, whatever the query's WHERE, so a query on the view costs more
    than one on the few tables it needs, and more as the history grows."""
    named = {t: re.compile(rf"\b{SCHEMA}\.{t}\b(?!__)") for t in per_month}
    used = [t for t, pattern in named.items() if pattern.search(sql)]
    if not used:
        return sql
    wanted = {table_for(t, [m]): t for t in used for m in months}
    wanted.update({t + DEFAULT_SUFFIX: t for t in used})
    present = {
        name
        for (name,) in tx.fetch(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = :s "
            "AND database_name = current_database() AND list_contains(:names, table_name)",
            {"s": SCHEMA, "names": sorted(wanted)},
        )
    }
    for table in used:
        if table + DEFAULT_SUFFIX not in present:  # stored as one table: read it as is
            continue
        parts = sorted(n for n, t in wanted.items() if t == table and n in present)
        union = " UNION ALL ".join(f"SELECT * FROM {quote(SCHEMA)}.{quote(p)}" for p in parts)
        sql = named[table].sub(f"({union})", sql)
    return sql

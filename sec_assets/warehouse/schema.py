"""The silver contracts (``dbt_like_sql/contracts/*.sql``) and what the catalog says about them.

Each file holds one ``CREATE TABLE IF NOT EXISTS silver.<file name>``. They are executed in
dependency order, derived from their ``REFERENCES silver.<table>`` clauses (parents first,
then alphabetical), so a new table needs no list to be edited.

An engine may store a contract differently: ``<sql dir>/<engine>/<table>.sql`` replaces the
shared file on that engine (fact_interrupciones is stored a table per month: Postgres
partitions, or on DuckDB ``<table>__default`` plus a view, see :mod:`.partitions`). It must
declare the same columns, types and foreign keys; ``test_warehouse_schema`` compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from sec_assets.sql_files import contracts_dir
from sec_assets.warehouse.errors import WarehouseError

SCHEMA = "silver"
SCHEMAS = ("silver", "gold")
_REFERENCES = re.compile(r"\bREFERENCES\s+silver\.(\w+)", re.I)
_CREATE = re.compile(r"\bCREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+silver\.(\w+)", re.I)
_VIEW = re.compile(r"\bCREATE\s+VIEW\s+IF\s+NOT\s+EXISTS\s+silver\.(\w+)", re.I)
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
DEFAULT_SUFFIX = "__default"  # the catch-all table of a table stored per month


def stored_per_month(sql: str) -> bool:
    """The contract stores its table a table per month (:mod:`.partitions`): Postgres
    ``PARTITION BY``, or DuckDB's ``<table>__default`` behind a view."""
    return bool(re.search(r"\bPARTITION\s+BY\b|\bCREATE\s+VIEW\b", sql, re.I))


def default_sql_dir() -> Path:
    """``dbt_like_sql/contracts``, from a checkout or an installed wheel."""
    return contracts_dir()


def ordered_ddl(sql_dir: Path | None = None, engine: str | None = None) -> list[tuple[str, str]]:
    """``(table, sql)`` for every contract in ``sql_dir``, parents before the tables citing them;
    with ``engine``, its own version of a contract where ``<sql_dir>/<engine>/`` has one."""
    root = sql_dir or default_sql_dir()
    files = sorted(root.glob("*.sql"))
    if engine is not None:
        files = [root / engine / p.name if (root / engine / p.name).exists() else p for p in files]
    if not files:
        raise WarehouseError(f"no silver contracts (*.sql) in {root}; pass sql_dir=")
    ddl: dict[str, str] = {}
    graph: dict[str, set[str]] = {}
    for path in files:
        sql = path.read_text(encoding="utf-8")
        created = _CREATE.findall(sql)
        if created == [path.stem + DEFAULT_SUFFIX] and _VIEW.findall(sql) == [path.stem]:
            created = [path.stem]  # stored a table per month behind a view (warehouse.partitions)
        if created != [path.stem]:
            raise WarehouseError(
                f"{path.name} must create exactly silver.{path.stem} "
                f"(CREATE TABLE IF NOT EXISTS); it creates {created}"
            )
        ddl[path.stem] = sql
        graph[path.stem] = {t for t in _REFERENCES.findall(sql) if t != path.stem}
    missing = {p for parents in graph.values() for p in parents} - set(ddl)
    if missing:
        raise WarehouseError(f"contracts reference tables that have no file: {sorted(missing)}")
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise WarehouseError(f"foreign keys form a cycle: {exc.args[1]}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return [(name, ddl[name]) for name in order]


@dataclass(frozen=True)
class ForeignKey:
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    """A silver table as the catalog describes it. ``kinds`` maps column → a portable type kind:
    text, int, float, bool, date, timestamp, timestamptz or other."""

    name: str
    columns: tuple[str, ...]
    types: dict[str, str]
    kinds: dict[str, str]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    referenced_by: tuple[ForeignKey, ...] = field(default=())
    #: Columns the table is partitioned by (Postgres declarative partitioning), else ().
    partition_by: tuple[str, ...] = ()

    @property
    def is_parent(self) -> bool:
        """Some foreign key points at this table."""
        return bool(self.referenced_by)

    @property
    def indexed(self) -> frozenset[str]:
        """Columns DuckDB backs with an ART index: primary key, unique and foreign-key columns."""
        cols = set(self.primary_key)
        cols.update(c for key in self.unique for c in key)
        cols.update(c for fk in self.foreign_keys for c in fk.columns)
        return frozenset(cols)


def kind_of(sql_type: str) -> str:
    """Portable kind of an engine's type name (DuckDB or information_schema spelling)."""
    t = sql_type.lower()
    if "with time zone" in t or t == "timestamptz":
        return "timestamptz"
    if t.startswith("timestamp"):
        return "timestamp"
    if t == "date":
        return "date"
    if t in {"boolean", "bool"}:
        return "bool"
    if t in {"integer", "bigint", "smallint", "tinyint", "hugeint", "int", "int4", "int8", "int2"}:
        return "int"
    if t.startswith(("double", "float", "real", "decimal", "numeric")):
        return "float"
    if t in {"text", "varchar", "character varying", "string"} or t.startswith("varchar"):
        return "text"
    return "other"


def link_tables(tables: list[TableInfo]) -> dict[str, TableInfo]:
    """Index by name and fill each table's ``referenced_by`` from the others' foreign keys."""
    incoming: dict[str, list[ForeignKey]] = {t.name: [] for t in tables}
    for t in tables:
        for fk in t.foreign_keys:
            incoming.setdefault(fk.ref_table, []).append(fk)
    return {t.name: replace(t, referenced_by=tuple(incoming.get(t.name, ()))) for t in tables}


def quote(identifier: str) -> str:
    """A catalog identifier, checked and double-quoted (names come from the catalog or are
    checked against it; this is a second fence against injection)."""
    if not IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain SQL identifier: {identifier!r}")
    return f'"{identifier}"'


def build_tables(
    columns: list[tuple[str, str, str]],
    constraints: list[tuple[str, str, list[str], str | None, list[str] | None]],
    partitions: dict[str, tuple[str, ...]] | None = None,
) -> list[TableInfo]:
    """TableInfo from catalog rows: ``(table, column, type)`` in column order,
    ``(table, kind, columns, ref_table, ref_columns)`` with kind ``p``, ``u`` or ``f``, and the
    partition key columns of partitioned tables."""
    cols: dict[str, list[tuple[str, str]]] = {}
    for table, column, sql_type in columns:
        cols.setdefault(table, []).append((column, sql_type))
    pks: dict[str, tuple[str, ...]] = {}
    uniques: dict[str, list[tuple[str, ...]]] = {}
    fks: dict[str, list[ForeignKey]] = {}
    for table, kind, names, ref_table, ref_names in constraints:
        key = tuple(names)
        if kind == "p":
            pks[table] = key
        elif kind == "u":
            uniques.setdefault(table, []).append(key)
        elif kind == "f" and ref_table:
            fks.setdefault(table, []).append(
                ForeignKey(table, key, ref_table, tuple(ref_names or ()))
            )
    return [
        TableInfo(
            name=table,
            columns=tuple(c for c, _ in spec),
            types=dict(spec),
            kinds={c: kind_of(t) for c, t in spec},
            primary_key=pks.get(table, ()),
            unique=tuple(uniques.get(table, ())),
            foreign_keys=tuple(fks.get(table, ())),
            partition_by=(partitions or {}).get(table, ()),
        )
        for table, spec in cols.items()
    ]

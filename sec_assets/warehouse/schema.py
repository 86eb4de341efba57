"""The silver contracts (``dbt_like_sql/contracts/*.sql``) and what the catalog says about them.

Each file declares one table for both engines (``CREATE TABLE IF NOT EXISTS silver.<file
name>``), run in the order of their ``REFERENCES`` (parents first, then alphabetical), so a new
table needs no list edited. How an engine stores a table is a ``-- storage <engine>:`` comment
in the same file (:class:`Contract`); without one it is stored as declared.
:func:`ordered_ddl` renders the contracts for one engine; this module is the only reader.
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
ENGINES = ("duckdb", "postgres")
_REFERENCES = re.compile(r"\bREFERENCES\s+silver\.(\w+)", re.I)
_CREATE = re.compile(r"\bCREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+silver\.(\w+)", re.I)
_STORAGE = re.compile(r"^--\s*storage\s+(\w+)\s*:\s*(.*?)\s*$", re.I)
_PG_STORAGE = re.compile(
    r"^PARTITION\s+BY\s+LIST\s*\((?P<column>\w+)\)(?:\s+(?P<check>CHECK\s*\(.*\)))?$", re.I | re.S
)
_TABLE_KEY = re.compile(r"\bPRIMARY\s+KEY\s*\(([^)]*)\)", re.I)
_TABLE_END = re.compile(r"\n?\)\s*;\s*$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
DEFAULT_SUFFIX = "__default"  # the catch-all table of a table stored per month
DUCKDB_PER_MONTH = "per_month"
DUCKDB_KEYS_CHECKED = "keys checked"
_INLINE_REFERENCE = re.compile(r"\s+REFERENCES\s+silver\.\w+\s*\([^)]*\)", re.I)
_KEY_CLAUSE = re.compile(r",\s*(?:PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.I)


def default_sql_dir() -> Path:
    """``dbt_like_sql/contracts``, from a checkout or an installed wheel."""
    return contracts_dir()


@dataclass(frozen=True)
class Contract:
    """One contract file: the table as declared, and each engine's storage clause.

    Storage clauses (lines in a row for one engine are joined):

    * ``-- storage duckdb: per_month`` — a table per month behind a view (:mod:`.partitions`):
      the contract creates ``<table>__default`` and the view ``silver.<table>`` over it.
    * ``-- storage duckdb: keys checked`` — one table that declares no key to DuckDB (no ART
      index, whose upkeep grows with the table on every load); the contract's keys are still
      the table's (:attr:`TableInfo.keys_checked`), checked set-based by every replace.
    * ``-- storage postgres: PARTITION BY LIST (<column>) [CHECK (<condition>)]`` — declarative
      partitioning. The primary key gets the partition column appended, as Postgres requires;
      the CHECK, if any, ties the partition column to the key, so the wider key is as strict
      as the declared one.
    """

    name: str
    sql: str  # the file without its storage comments
    storage: dict[str, str]  # engine -> storage clause
    parents: frozenset[str]

    @classmethod
    def parse(cls, path: Path) -> Contract:
        storage: dict[str, list[str]] = {}
        body: list[str] = []
        last: str | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _STORAGE.match(line.strip())
            if match is None:
                body.append(line)
                last = None
                continue
            engine = match[1].lower()
            if engine not in ENGINES:
                raise WarehouseError(f"{path.name}: storage for unknown engine {engine!r}")
            if engine in storage and last != engine:
                raise WarehouseError(f"{path.name}: storage {engine} given twice")
            storage.setdefault(engine, []).append(match[2])
            last = engine
        sql = "\n".join(body).strip() + "\n"
        created = _CREATE.findall(sql)
        if created != [path.stem]:
            raise WarehouseError(
                f"{path.name} must create exactly silver.{path.stem} "
                f"(CREATE TABLE IF NOT EXISTS); it creates {created}"
            )
        contract = cls(
            name=path.stem,
            sql=sql,
            storage={e: " ".join(lines) for e, lines in storage.items()},
            parents=frozenset(t for t in _REFERENCES.findall(sql) if t != path.stem),
        )
        for engine in contract.storage:
            contract.ddl(engine)  # a clause that cannot be rendered fails here, not later
        return contract

    def per_month(self, engine: str) -> bool:
        """This engine stores the table a table per month (:mod:`.partitions`)."""
        return engine in self.storage and not self.keys_checked(engine)

    def keys_checked(self, engine: str) -> bool:
        """This engine stores the table without its keys, which are checked set-based."""
        return engine == "duckdb" and self.storage.get(engine, "").lower() == DUCKDB_KEYS_CHECKED

    def ddl(self, engine: str | None) -> str:
        """The DDL this engine runs (``None``: the table as declared, stored plainly)."""
        clause = self.storage.get(engine) if engine is not None else None
        if clause is None:
            return self.sql
        if engine == "duckdb":
            if clause.lower() == DUCKDB_KEYS_CHECKED:
                return self._without_keys()
            return self._duckdb_per_month(clause)
        return self._postgres_partitioned(clause)

    def _without_keys(self) -> str:
        """The declared table with no PRIMARY KEY, UNIQUE or REFERENCES (comments dropped)."""
        body = "\n".join(line.split("--", 1)[0].rstrip() for line in self.sql.splitlines())
        sql = _KEY_CLAUSE.sub("", _INLINE_REFERENCE.sub("", body))
        if re.search(r"\b(REFERENCES|PRIMARY\s+KEY|UNIQUE)\b", sql, re.I):
            raise WarehouseError(
                f"{self.name}: storage duckdb {DUCKDB_KEYS_CHECKED!r} takes keys declared as "
                "'col ... REFERENCES silver.t (c)' and a last 'PRIMARY KEY (...)' / 'UNIQUE (...)'"
            )
        return "\n".join(line for line in sql.splitlines() if line.strip()) + "\n"

    def _duckdb_per_month(self, clause: str) -> str:
        if clause.lower() != DUCKDB_PER_MONTH:
            raise WarehouseError(f"{self.name}: storage duckdb must be {DUCKDB_PER_MONTH!r}")
        default = f"silver.{self.name}{DEFAULT_SUFFIX}"
        table = _CREATE.sub(f"CREATE TABLE IF NOT EXISTS {default}", self.sql, count=1)
        view = f"CREATE VIEW IF NOT EXISTS silver.{self.name} AS\nSELECT * FROM {default};\n"
        return f"{table}\n{view}"

    def _postgres_partitioned(self, clause: str) -> str:
        match = _PG_STORAGE.match(clause)
        if match is None:
            raise WarehouseError(
                f"{self.name}: storage postgres must be PARTITION BY LIST (<column>) "
                f"[CHECK (<condition>)], not {clause!r}"
            )
        column = match["column"]
        start = _CREATE.search(self.sql)
        assert start is not None  # checked by parse()
        head, body = self.sql[: start.start()], self.sql[start.start() :]  # comments, table
        keys = _TABLE_KEY.findall(body)
        if len(keys) != 1:
            raise WarehouseError(
                f"{self.name}: a partitioned table declares its key as PRIMARY KEY (...)"
            )
        key = [c.strip() for c in keys[0].split(",")]
        wide = ", ".join(key if column in key else [*key, column])
        sql = head + _TABLE_KEY.sub(f"PRIMARY KEY ({wide})", body, count=1)
        check = f",\n    {match['check']}" if match["check"] else ""
        last_line = _TABLE_END.split(sql)[0].rsplit("\n", 1)[-1]
        if check and "--" in last_line:
            raise WarehouseError(f"{self.name}: a CHECK would follow a comment: {last_line!r}")
        sql, n = _TABLE_END.subn(f"{check}\n) PARTITION BY LIST ({column});\n", sql)
        if n != 1:
            raise WarehouseError(f"{self.name}: the contract must end with ');'")
        return sql


def ordered_contracts(sql_dir: Path | None = None) -> list[Contract]:
    """Every contract in ``sql_dir``, parents before the tables citing them."""
    root = sql_dir or default_sql_dir()
    contracts = {c.name: c for c in map(Contract.parse, sorted(root.glob("*.sql")))}
    if not contracts:
        raise WarehouseError(f"no silver contracts (*.sql) in {root}; pass sql_dir=")
    missing = {p for c in contracts.values() for p in c.parents} - set(contracts)
    if missing:
        raise WarehouseError(f"contracts reference tables that have no file: {sorted(missing)}")
    sorter = TopologicalSorter({name: set(c.parents) for name, c in contracts.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        raise WarehouseError(f"foreign keys form a cycle: {exc.args[1]}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return [contracts[name] for name in order]


def ordered_ddl(sql_dir: Path | None = None, engine: str | None = None) -> list[tuple[str, str]]:
    """``(table, sql)`` for every contract in ``sql_dir``, parents before the tables citing them,
    rendered for ``engine`` (``None``: every table stored plainly, as declared)."""
    return [(c.name, c.ddl(engine)) for c in ordered_contracts(sql_dir)]


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
    #: Columns the table is stored by, a table per value (:mod:`.partitions`: Postgres
    #: partitions, DuckDB month tables behind a view), else ().
    partition_by: tuple[str, ...] = ()
    #: The keys above are the contract's, not the engine's: nothing enforces them on insert,
    #: every replace checks them set-based (``-- storage duckdb: keys checked``).
    keys_checked: bool = False

    @property
    def is_parent(self) -> bool:
        """Some foreign key points at this table."""
        return bool(self.referenced_by)

    @property
    def indexed(self) -> frozenset[str]:
        """Columns DuckDB backs with an ART index: primary key, unique and foreign-key columns."""
        if self.keys_checked:
            return frozenset()
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

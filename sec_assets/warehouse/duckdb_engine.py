"""The embedded warehouse: one DuckDB file, ``$SEC_DATA_DIR/warehouse.duckdb`` by default.

Every key of the silver contracts is declared and enforced, as in Postgres, except in the month
tables of a table stored per month (:mod:`.partitions`), which declare none: their keys are
checked set-based in the load's transaction (:mod:`.validate`). DuckDB's key handling makes
a delete + re-insert reload fail or crawl, so keyed tables are merged instead
(:class:`DuckDBWarehouse` says why).

One process may open the file read-write: each call opens, works and closes its connection
under an ``flock`` on ``<db>.lock`` (exclusive for writes, shared for reads, bounded by
``lock_timeout_s``), and retries DuckDB's own lock error for processes that skip our lock.
Inside a Dagster run, the calls of the process share one connection kept open instead
(:meth:`DuckDBWarehouse.keep_open`, :mod:`.kept`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import count
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import polars as pl

from sec_assets.diskerrors import disk_hint, errno_in_text
from sec_assets.files import file_lock
from sec_assets.warehouse.base import Engine, Tx, Warehouse
from sec_assets.warehouse.errors import (
    WarehouseConnectionError,
    WarehouseDiskError,
    WarehouseError,
    WarehouseIntegrityError,
    WarehouseLockTimeout,
    WarehouseQueryError,
)
from sec_assets.warehouse.kept import KeptConnection
from sec_assets.warehouse.params import bind_params
from sec_assets.warehouse.partitions import (
    DEFAULT_SUFFIX,
    VIEW_PARTITION_COLUMN,
    partition_table,
    table_for,
)
from sec_assets.warehouse.readtypes import normalize
from sec_assets.warehouse.replace import Quirks
from sec_assets.warehouse.retrying import retry_while
from sec_assets.warehouse.schema import (
    IDENTIFIER,
    SCHEMA,
    Contract,
    TableInfo,
    build_tables,
    link_tables,
    ordered_contracts,
    quote,
)
from sec_assets.warehouse.validate import refuse_bad_frame, refuse_orphans

_kept: dict[Path, KeptConnection] = {}  # path -> this process's kept connection
_kept_lock = threading.Lock()
_held = threading.local()  # paths this thread holds locked: nested use would self-deadlock
_sessions = threading.local()  # path -> the connection of this thread's open session()

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
_VIEW_SOURCE = re.compile(rf'FROM {SCHEMA}\."?(\w+)"?')  # the tables a stored view reads
_PRIMARY_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)")
_FOREIGN_KEY = re.compile(r",\s*FOREIGN KEY\s*\([^)]*\)\s*REFERENCES\s*[\w.\"]+\s*\([^)]*\)")


def _is_lock_error(exc: Exception) -> bool:
    """DuckDB's refusal to open a file another process holds ("Could not set lock")."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except duckdb.ConstraintException as exc:
        raise WarehouseIntegrityError(str(exc)) from exc
    except duckdb.Error as exc:
        if (code := errno_in_text(str(exc))) is not None:  # full or read-only disk
            raise WarehouseDiskError(
                f"DuckDB could not write the warehouse (SEC_DATA_DIR/warehouse.duckdb): {exc}; "
                f"{disk_hint(code)}"
            ) from exc
        # a bulk-built primary key fails at commit
        if isinstance(exc, duckdb.TransactionException) and (
            "constraint violation" in str(exc).lower()
        ):
            raise WarehouseIntegrityError(str(exc)) from exc
        raise WarehouseQueryError(str(exc)) from exc


_DECLARED: dict[tuple[str, str], TableInfo] = {}
_DECLARED_LOCK = threading.Lock()


def _declared_keys(sql_dir: Path | None, table: str) -> TableInfo:
    """``table`` as its contract declares it, keys included: its DDL and its parents', as
    declared, introspected in an in-memory DuckDB (once per process)."""
    key = (str(sql_dir), table)
    with _DECLARED_LOCK:
        if key in _DECLARED:
            return _DECLARED[key]
    contracts = ordered_contracts(sql_dir)
    wanted = {table} | next(set(c.parents) for c in contracts if c.name == table)
    con = duckdb.connect()
    try:
        con.execute(f"CREATE SCHEMA {quote(SCHEMA)}").fetchall()
        for contract in contracts:  # parents first
            if contract.name in wanted:
                con.execute(contract.ddl(None)).fetchall()
        info = {t.name: t for t in _DuckTx(con).introspect()}[table]
    finally:
        con.close()
    with _DECLARED_LOCK:
        _DECLARED[key] = info
    return info


class _DuckTx(Tx):
    engine: ClassVar[Engine] = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._names = count()
        self._staged: dict[tuple[str, str], pl.DataFrame] = {}
        self._registered: list[str] = []  # Arrow registrations and temp views to drop
        self._views: list[str] = []

    def close(self) -> None:
        """Drop what this transaction registered: inside a session the connection outlives
        it, and would otherwise keep every staged frame alive (and refuse the names)."""
        for view in self._views:
            self.con.execute(f"DROP VIEW IF EXISTS temp.{quote(view)}")
        for raw in self._registered:
            self.con.unregister(raw)
        self._views, self._registered = [], []

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        query, values = bind_params(sql, params, "duckdb")
        with _mapped_errors():  # drain the result: DuckDB 2 refuses work while one is open
            self.con.execute(query, values).fetchall()

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        query, values = bind_params(sql, params, "duckdb")
        with _mapped_errors():
            return self.con.execute(query, values).fetchall()

    def fetch_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        query, values = bind_params(sql, params, "duckdb")
        with _mapped_errors():
            relation = self.con.sql(query, params=values)
            if relation is None:
                raise ValueError("read() takes a query (SELECT / WITH / VALUES / TABLE)")
            return normalize(relation.pl())

    def stage(self, name: str, frame: pl.DataFrame, info: TableInfo) -> None:
        raw = f"{name}_raw"
        casts = ", ".join(
            f"CAST({quote(c)} AS {info.types[c]}) AS {quote(c)}" for c in frame.columns
        )
        with _mapped_errors():
            self.con.register(raw, frame)
            self._registered.append(raw)
            self.con.execute(f"CREATE TEMP VIEW {quote(name)} AS SELECT {casts} FROM {quote(raw)}")
            self._views.append(name)

    def insert(self, info: TableInfo, frame: pl.DataFrame) -> None:
        raw = f"_sec_insert_{next(self._names)}"
        cols = ", ".join(quote(c) for c in frame.columns)
        with _mapped_errors():  # registrations are dropped when the transaction ends
            self.con.register(raw, frame)
            self._registered.append(raw)
            self.con.execute(
                f"INSERT INTO {quote(SCHEMA)}.{quote(info.name)} ({cols}) "
                f"SELECT {cols} FROM {quote(raw)}"
            ).fetchall()

    def introspect(self) -> list[TableInfo]:
        """The contracts: a table stored per month (a view over ``<name>__*`` tables) takes its
        keys from ``<name>__default``; the month tables themselves are not listed."""
        all_columns = self.fetch(_COLUMNS)
        tables = {r[0] for r in all_columns}
        stored = {v for (v,) in self.fetch(_VIEWS) if v + DEFAULT_SUFFIX in tables}

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
        for table, *rest in self.fetch(_CONSTRAINTS):
            if (name := own(table)) is not None:
                constraints.append((name, *rest))
        return build_tables(columns, constraints, dict.fromkeys(stored, (VIEW_PARTITION_COLUMN,)))

    # --- a table stored per month: month tables behind a view (warehouse.partitions) -------

    def stage_partition(
        self, info: TableInfo, values: Mapping[str, Any], frame: pl.DataFrame
    ) -> None:
        """Nothing to do before the deletes: the month table takes the old one's name, so it is
        built in :meth:`attach_partition`, once the old one is dropped."""
        self._staged[(info.name, partition_table(info, values))] = frame

    def attach_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Create the month table from the DEFAULT table's definition (NOT NULL and CHECK
        constraints) without its keys, refuse null and duplicate keys in the frame, fill it from
        Arrow, check every foreign key of the month in one query (:mod:`.validate`: no index
        per foreign-key column, no per-row lookup), and rebuild the view over every month table.

        The month table declares no key: only its load writes it, and the load has refused null
        and repeated keys in the whole frame before inserting it. An index would cost the load
        more than the insert (an ART over md5 text is 2.6x the month's data on disk, written to
        the WAL at commit and again at checkpoint) and serve no lookup: every read scans."""
        name = partition_table(info, values)
        frame = self._staged.pop((info.name, name))
        [(template,)] = self.fetch(
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
        ddl = ddl.replace(f"{SCHEMA}.{info.name}{DEFAULT_SUFFIX}(", f"{SCHEMA}.{name}(", 1)
        refuse_bad_frame(info, values, frame)
        with _mapped_errors():
            self.con.execute(ddl)
        self.insert(replace(info, name=name), frame)
        refuse_orphans(self, info, values, name)
        self.rebuild_view(info.name, added=name)

    def rebuild_view(self, table: str, *, added: str | None = None) -> None:
        """``silver.<table>`` = UNION ALL of its DEFAULT and month tables. ``added``: the month
        table just created; if the view reads it already, it was the same month re-loaded (a
        month table is dropped only to be re-created in the same transaction), and the view
        stands as it is without listing the catalog's tables (8 ms at 119 months)."""
        current = self.fetch(
            "SELECT sql FROM duckdb_views() WHERE schema_name = :s AND view_name = :v "
            "AND database_name = current_database()",
            {"s": SCHEMA, "v": table},
        )
        sources = set(_VIEW_SOURCE.findall(current[0][0])) if current else set()
        if added is not None and added in sources:
            return
        parts = [
            name
            for (name,) in self.fetch(
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
        self.execute(f"CREATE OR REPLACE VIEW {quote(SCHEMA)}.{quote(table)} AS {union}")

    def restart(self) -> None:
        with _mapped_errors():
            self.con.commit()
            self.con.begin()


class DuckDBWarehouse(Warehouse):
    """The silver schema in a DuckDB file (default ``$SEC_DATA_DIR/warehouse.duckdb``).

    What DuckDB does with keys, pinned by ``test_warehouse_duckdb_quirks.py`` (an upgrade that
    changes one fails loudly), and the :class:`~.replace.Quirks` it sets for them:

    * a foreign key still blocks deleting a parent row whose children were deleted earlier in
      the same transaction (the child's index keeps them until commit): ``defer_referenced``,
      such parents are deleted after commit, in a second transaction, once nothing references
      them;
    * updating an indexed column (primary key, UNIQUE, foreign-key column) runs as delete +
      insert, so it fails whenever the row is referenced, even to the same value:
      ``immutable_indexed``, a referenced table's indexed columns must be unchanged (a change
      is an error) and a plain table's changed row is deleted and re-inserted;
    * committing a delete from a primary-key index is slow, so a delete + insert reload is far
      slower than a merge: ``merge_keyed``, every table with a primary key is merged (update in
      place, insert new keys, delete vanished keys). Deleting and re-inserting the same keys in
      one transaction does work.

    Tables stored per month (``fact_interrupciones``) are not merged: a month's replace drops
    its table and builds the new one, its keys checked set-based (:mod:`.validate`).
    """

    engine: ClassVar[Engine] = "duckdb"
    quirks: ClassVar[Quirks] = Quirks(
        merge_keyed=True, defer_referenced=True, immutable_indexed=True
    )

    def __init__(
        self,
        path: Path | str,
        *,
        sql_dir: Path | None = None,
        lock_timeout_s: float = 300.0,
    ) -> None:
        super().__init__(sql_dir=sql_dir)
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lock_timeout_s = lock_timeout_s
        self._contracts: list[Contract] | None = None  # read once, on first need

    @property
    def where(self) -> str:
        """The database file."""
        return str(self.path)

    def __repr__(self) -> str:
        return f"DuckDBWarehouse(path={str(self.path)!r})"

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}: run ensure_schema() first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = retry_while(
                lambda: duckdb.connect(str(self.path), read_only=read_only),
                retryable=_is_lock_error,
                timeout_s=self.lock_timeout_s,
            )
            self.connections_opened += 1
            return con
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise WarehouseLockTimeout(
                    f"{self.path} stayed locked by another process for "
                    f"{self.lock_timeout_s:.0f} s: {exc}"
                ) from exc
            hint = f"; {disk_hint(code)}" if (code := errno_in_text(str(exc))) else ""
            raise WarehouseConnectionError(f"cannot open {self.path}: {exc}{hint}") from exc

    def _stored(self, how: str) -> list[str]:
        """The contracts this engine stores ``per_month`` or with ``keys_checked``."""
        if self._contracts is None:
            self._contracts = ordered_contracts(self.sql_dir)
        return [c.name for c in self._contracts if getattr(c, how)(self.engine)]

    def _catalog(self, tx: Tx, introspected: list[TableInfo] | None = None) -> dict[str, TableInfo]:
        """The catalog's tables, a keys-checked table taking its keys from its contract."""
        tables = {t.name: t for t in (tx.introspect() if introspected is None else introspected)}
        checked = self._stored("keys_checked")
        for name in checked:
            if name in tables:
                keys = _declared_keys(self.sql_dir, name)
                tables[name] = replace(
                    tables[name],
                    primary_key=keys.primary_key,
                    unique=keys.unique,
                    foreign_keys=keys.foreign_keys,
                    keys_checked=True,
                )
        linked = link_tables(list(tables.values()))
        parents = [n for n in checked if n in linked and linked[n].is_parent]
        if parents:
            raise WarehouseError(f"keys-checked tables cannot be referenced: {parents}")
        return linked

    def _store_contracts(
        self, tx: Tx, contracts: Sequence[Contract], existing: dict[str, TableInfo]
    ) -> bool:
        """A keys-checked table created before (with its keys declared to DuckDB: ``existing``
        lists them) is rebuilt once without them, its rows kept: a new table from the
        contract, filled, swapped in. (A table the DDL has just created has none.)"""
        rebuilt = False
        for contract in contracts:
            info = existing.get(contract.name)
            if not contract.keys_checked(self.engine) or info is None:
                continue
            if not (info.primary_key or info.unique or info.foreign_keys):
                continue
            rebuilt = True
            new = f"{contract.name}__rebuilt"
            ddl = contract.ddl(self.engine).replace(
                f"silver.{contract.name} (", f"silver.{new} (", 1
            )
            if f"silver.{new} (" not in ddl:
                raise WarehouseError(f"cannot rebuild silver.{contract.name}: {ddl[:200]}")
            old, fresh = f"{quote(SCHEMA)}.{quote(contract.name)}", f"{quote(SCHEMA)}.{quote(new)}"
            tx.execute(f"DROP TABLE IF EXISTS {fresh}")
            tx.execute(ddl)
            tx.execute(f"INSERT INTO {fresh} BY NAME SELECT * FROM {old}")
            tx.execute(f"DROP TABLE {old}")
            tx.execute(f"ALTER TABLE {fresh} RENAME TO {quote(contract.name)}")
        return rebuilt

    def keep_open(self, *, idle_s: float) -> None:
        """From now on, the calls of this process share one kept connection (for a Dagster
        run: see :mod:`.kept`): read-only until the first write, read-write from then on,
        closed after ``idle_s`` unused, after an error raised through it, before waiting for a
        named lock, and at :meth:`release_kept`."""
        key = self.path.resolve()
        with _kept_lock:
            _kept.setdefault(key, KeptConnection(self._open_locked, idle_s=idle_s))

    def release_kept(self) -> int:
        """Close the kept connection; returns how many times it was opened."""
        with _kept_lock:
            kept = _kept.pop(self.path.resolve(), None)
        if kept is None:
            return 0
        kept.release()
        return kept.opened

    def _open_locked(self, write: bool) -> tuple[Any, duckdb.DuckDBPyConnection]:
        """(The file lock, held: exclusive to write; a connection opened under it)."""
        lock = file_lock(
            self.lock_path,
            exclusive=write,
            timeout_s=self.lock_timeout_s,
            error=WarehouseLockTimeout,
        )
        lock.__enter__()
        try:
            con = self._open(read_only=not write)
            con.execute("SET TimeZone = 'UTC'").fetchall()
        except BaseException:
            lock.__exit__(None, None, None)
            raise
        return lock, con

    @contextmanager
    def _named_lock(self, name: str, timeout_s: float) -> Iterator[None]:
        """An exclusive ``flock`` on ``<db>.<name>.lock`` beside the file (not the write lock:
        the holder still takes that for each write, or for its session)."""
        if not IDENTIFIER.match(name):
            raise ValueError(f"not a plain lock name: {name!r}")
        key = self.path.resolve()
        if key in getattr(_sessions, "cons", {}) or key in getattr(_held, "paths", set()):
            raise WarehouseError(
                f"lock {name!r} asked for inside a session or transaction of {self!r}: take it "
                "first (lock() opens the session once it is held), or this process would wait "
                "for it holding the file that its holder may be waiting for"
            )
        kept = _kept.get(key)
        with file_lock(
            self.path.with_name(f"{self.path.name}.{name}.lock"),
            exclusive=True,
            timeout_s=timeout_s,
            # Its holder may be waiting for the file: let go of it while we wait (the order
            # is named lock, then file, for every process).
            on_wait=kept.release_idle if kept is not None else None,
            error=WarehouseLockTimeout,
        ):
            yield

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every call of this warehouse inside the block, on this thread, shares one read-write
        connection under the write lock: the file is opened once rather than once per
        call. Other processes wait for the
        lock meanwhile, so keep the block to one unit of work (a month's load)."""
        key = self.path.resolve()
        sessions: dict[Path, duckdb.DuckDBPyConnection] = getattr(_sessions, "cons", {})
        if key in sessions:  # already inside one
            yield
            return
        # DuckDB checkpoints whenever the WAL passes its threshold (16 MB: about a month of
        # facts), so a ranged load checkpoints month by month, while the parser process works
        # on the next month. Holding the WAL to the end (256 MB, until 2026-11) left the whole
        # range to one checkpoint at close, with nothing to overlap it, and its months in
        # memory until then (README, Benchmarks).
        with self._connection(write=True) as con:
            _sessions.cons = {**sessions, key: con}
            try:
                yield
            finally:
                _sessions.cons = sessions

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        key = self.path.resolve()
        shared = getattr(_sessions, "cons", {}).get(key)
        if shared is not None:  # inside session(): its connection, opened and closed there
            yield shared
            return
        held: set[Path] = getattr(_held, "paths", set())
        if key in held:
            raise WarehouseError(
                f"nested use of {self!r} on one thread (inside get_connection() or a "
                "transaction): it would wait for its own lock"
            )
        _held.paths = held | {key}
        kept = _kept.get(key)
        try:
            if kept is not None:
                with kept.connection(write=write) as con:
                    yield con
                return
            lock, con = self._open_locked(write)
            try:
                yield con
            finally:
                try:
                    con.close()
                finally:
                    lock.__exit__(None, None, None)
        finally:
            _held.paths = held

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write DuckDB connection (autocommit, ``TimeZone`` UTC) under the write lock.

        Do not call other methods of this warehouse inside the block (same lock)."""
        with self._connection(write=True) as con:
            yield con

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        with self._connection(write=True) as con:
            con.begin()
            tx = _DuckTx(con)
            try:
                yield tx
            except BaseException:
                con.rollback()
                tx.close()
                raise
            try:
                with _mapped_errors():
                    con.commit()
            finally:  # a failed commit has rolled back already
                tx.close()

    def read(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        months: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        with self._connection(write=False) as con:
            return self._read_on(_DuckTx(con), sql, params, months)

    def _read_on(
        self,
        tx: _DuckTx,
        sql: str,
        params: Mapping[str, Any] | None,
        months: Sequence[str] | None,
    ) -> pl.DataFrame:
        if months is not None:
            sql = self._scoped(tx, sql, months)
        return tx.fetch_frame(sql, params)

    def _scoped(self, tx: _DuckTx, sql: str, months: Sequence[str]) -> str:
        """``sql`` with each ``silver.<table>`` stored per month replaced by the UNION ALL of
        its DEFAULT table and the tables of ``months`` that exist. DuckDB binds and plans every
        branch of the view over all months: at 119 months a query on it costs ~55 ms more than
        on the three tables it needs, whatever its WHERE."""
        named = {t: re.compile(rf"\b{SCHEMA}\.{t}\b(?!__)") for t in self._stored("per_month")}
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

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self._transaction() as tx:
            tx.execute(sql, params)

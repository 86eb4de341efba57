"""The warehouse interface, written once over a small per-engine transaction API (:class:`Tx`).

:class:`Warehouse` holds everything both engines share — the schema bootstrap, partition
replacement, replacement by key, dimension upserts, named locks — so DuckDB and Postgres cannot
drift apart; the engines only supply connections, locks, bulk load and bulk read.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import polars as pl

from sec_assets.sql_files import silver_migrations_dir
from sec_assets.warehouse.errors import WarehouseError, WarehouseIntegrityError
from sec_assets.warehouse.frames import (
    ReplaceStep,
    UpsertResult,
    check_step,
    conform,
    refuse_duplicate_keys,
)
from sec_assets.warehouse.migrations import fills_due, read_migrations, renames_due
from sec_assets.warehouse.params import in_list
from sec_assets.warehouse.partitions import DEFAULT_SUFFIX, partition_table
from sec_assets.warehouse.replace import Plan, Quirks, apply_steps, delete_blocked, upsert_rows
from sec_assets.warehouse.schema import (
    SCHEMA,
    SCHEMAS,
    Contract,
    TableInfo,
    link_tables,
    ordered_contracts,
    quote,
)

Engine = Literal["duckdb", "postgres"]


class Tx(ABC):
    """One open transaction. SQL uses ``:name`` parameters (see :mod:`.params`)."""

    engine: ClassVar[Engine]

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None: ...

    @abstractmethod
    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def fetch_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame: ...

    @abstractmethod
    def stage(self, name: str, frame: pl.DataFrame, info: TableInfo) -> None:
        """Make ``frame`` readable as relation ``name``, typed like ``info``'s columns, for the
        rest of the transaction."""

    @abstractmethod
    def insert(self, info: TableInfo, frame: pl.DataFrame) -> None:
        """Bulk-append ``frame`` (already conformed) to ``silver.<info.name>``."""

    @abstractmethod
    def introspect(self) -> list[TableInfo]:
        """Every table of schema silver, as the catalog describes it."""

    def drop_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Delete the rows of ``values`` from a table stored per month: drop its month table,
        and delete any such rows of the DEFAULT table (same SQL on both engines; on Postgres
        the DROP takes an ACCESS EXCLUSIVE lock on the parent until commit)."""
        self.execute(f"DROP TABLE IF EXISTS {quote(SCHEMA)}.{quote(partition_table(info, values))}")
        where = " AND ".join(f"{quote(c)} = :p{i}" for i, c in enumerate(info.partition_by))
        self.execute(
            f"DELETE FROM {quote(SCHEMA)}.{quote(info.name + DEFAULT_SUFFIX)} WHERE {where}",
            {f"p{i}": values[c] for i, c in enumerate(info.partition_by)},
        )

    def stage_partition(
        self, info: TableInfo, values: Mapping[str, Any], frame: pl.DataFrame
    ) -> None:
        """Bulk-load ``frame`` apart, as the next partition of ``values`` (Postgres)."""
        raise NotImplementedError(f"{self.engine} has no partitioned tables")

    def attach_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Make the staged table the partition of ``values`` (Postgres)."""
        raise NotImplementedError(f"{self.engine} has no partitioned tables")

    def restart(self) -> None:
        """Commit, and go on in a new transaction on the same connection (and lock)."""
        raise NotImplementedError(f"{self.engine} never needs a second transaction")


@dataclass(frozen=True)
class BatchResult:
    """One batch of :meth:`Warehouse.replace_each`: rows written per table, or the key error
    that rolled it back, and the seconds spent writing it."""

    written: dict[str, int] = field(default_factory=dict)
    error: WarehouseIntegrityError | None = None
    seconds: float = 0.0


class Warehouse(ABC):
    """The silver star schema in DuckDB or Postgres: the same tables, the same calls."""

    engine: ClassVar[Engine]
    #: How replacement must bend to the engine (see :mod:`.replace`); none for Postgres.
    quirks: ClassVar[Quirks] = Quirks()

    def __init__(self, *, sql_dir: Path | None = None) -> None:
        self.sql_dir = sql_dir
        self._tables: dict[str, TableInfo] | None = None
        self._tables_lock = threading.Lock()
        self._stats_deferred = threading.local()  # plans whose statistics wait (replace_each)
        #: Connections this object opened (DuckDB: file opens; Postgres: logins, named locks'
        #: own included), for the run's log, the tests and the bench.
        self.connections_opened = 0

    # --- what each engine provides -------------------------------------------------------

    @property
    @abstractmethod
    def where(self) -> str:
        """Where this warehouse lives: its file, or ``host:port/dbname`` (never a secret)."""

    @abstractmethod
    def get_connection(self) -> AbstractContextManager[Any]:
        """The engine's own connection (autocommit), for work this API does not cover."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Tx]:
        """A :class:`Tx`; committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def read(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        months: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Run a query; integers come back Int64, decimals Float64, TIMESTAMPTZ as UTC.

        ``months`` (``YYYY-MM``): the query reads no row of a table stored per month outside
        these months (its own WHERE says so), and the engine may skip the other months' tables
        without looking at them. A month's reads then cost the same at any length of history."""

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one statement (or a parameterless script) in its own transaction."""

    def _catalog(self, tx: Tx, introspected: list[TableInfo] | None = None) -> dict[str, TableInfo]:
        """The silver tables as this engine stores them, linked (parents know their children);
        ``introspected``: what ``tx.introspect()`` returned, if nothing changed since."""
        return link_tables(tx.introspect() if introspected is None else introspected)

    def _store_contracts(
        self, tx: Tx, contracts: Sequence[Contract], existing: dict[str, TableInfo]
    ) -> bool:
        """Bring tables created under an older storage clause to the current one (DuckDB: a
        table that now keeps its keys out of the engine); the contracts' DDL has just run,
        ``existing`` is the catalog from before it. True if a table was rebuilt."""
        return False

    def _schema_setup(self, tx: Tx, tables: dict[str, TableInfo]) -> None:  # noqa: B027
        """Engine-specific extras after the contracts ran (Postgres adds indexes)."""

    def _refresh_statistics(self, plans: Sequence[Plan]) -> None:  # noqa: B027
        """After a replace commits: bring the planner's statistics of what it wrote up to date,
        where the engine does not do so itself (DuckDB does)."""

    def _schema_lock(self, tx: Tx) -> None:  # noqa: B027
        """Serialize concurrent bootstraps (Postgres: an advisory lock; DuckDB: the file lock)."""

    def _exclusive(self, tx: Tx, table: str) -> None:  # noqa: B027
        """Keep every other writer out of ``table`` until commit (DuckDB: the file lock
        already does)."""

    @abstractmethod
    def _named_lock(self, name: str, timeout_s: float) -> AbstractContextManager[None]:
        """Hold the inter-process lock ``name`` of this warehouse (see :meth:`lock`)."""

    def keep_open(self, *, idle_s: float) -> None:  # noqa: B027
        """From now on, calls may share one connection kept open (for a Dagster run: see
        :class:`~.resource.WarehouseResource`) until :meth:`release_kept`. Here: nothing
        to keep, each call connects on its own (DuckDB keeps one: see :mod:`.kept`)."""

    def release_kept(self) -> int:
        """Close what :meth:`keep_open` kept; returns how many times it was opened."""
        return 0

    def session(self) -> AbstractContextManager[None]:
        """Calls inside the block may share one connection (both engines do: see theirs).
        Here: no sharing, each call connects on its own. The verbs below open it themselves;
        callers outside the warehouse need not."""
        return nullcontext()

    # --- shared behaviour ----------------------------------------------------------------

    def ensure_schema(self) -> list[str]:
        """Create schemas ``silver`` and ``gold`` and every silver contract, parents first.

        Idempotent and safe to call from concurrent processes. Returns the tables in the order
        they were ensured.
        """
        contracts = ordered_contracts(self.sql_dir)
        with self._transaction() as tx:
            self._schema_lock(tx)
            for schema in SCHEMAS:
                tx.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
            renames, fills = read_migrations(silver_migrations_dir())
            introspected = tx.introspect()
            existing = link_tables(introspected)
            due = renames_due(renames, existing)
            for rename in due:
                tx.execute(rename.sql)
            aside = self._set_aside_one_table_stores(tx, contracts, existing)
            for contract in contracts:
                tx.execute(contract.ddl(self.engine))
            rebuilt = self._store_contracts(tx, contracts, existing)
            # Nothing renamed, moved or rebuilt, and every contract already stored as it says
            # (its DDL, all IF NOT EXISTS, did nothing): the catalog read before still holds.
            # Reading it again cost a warehouse's second catalog scan, which grows with the
            # history (DuckDB: ~38 ms at 119 months against 4 at 3).
            same = not (due or aside or rebuilt) and all(
                c.name in existing
                and bool(existing[c.name].partition_by) == c.per_month(self.engine)
                for c in contracts
            )
            tables = self._catalog(tx, introspected if same else None)
            self._schema_setup(tx, tables)  # Postgres: DEFAULT partitions, before any row
            for name, held in aside.items():
                cols = ", ".join(quote(c) for c in tables[name].columns)
                tx.execute(
                    f"INSERT INTO {self._fill_target(tables[name])} ({cols}) "
                    f"SELECT {cols} FROM {held}"
                )
                tx.execute(f"DROP TABLE {held}")
            for fill in fills_due(fills, set(existing), {c.name for c in contracts}):
                target = self._fill_target(tables[fill.table]).removeprefix("silver.")
                tx.execute(fill.into(target))
        with self._tables_lock:
            self._tables = tables
        return [c.name for c in contracts]

    def _fill_target(self, info: TableInfo) -> str:
        """Where rows written by ``ensure_schema`` go: ``silver.<table>``, or the DEFAULT
        table of a table DuckDB stores per month (``silver.<table>`` is then a view; Postgres
        routes rows written to a partitioned table to its DEFAULT partition)."""
        if info.partition_by and self.engine == "duckdb":
            return f"silver.{info.name}{DEFAULT_SUFFIX}"
        return f"silver.{info.name}"

    def _set_aside_one_table_stores(
        self, tx: Tx, contracts: Sequence[Contract], existing: dict[str, TableInfo]
    ) -> dict[str, str]:
        """Tables the contracts now store a table per month but this warehouse holds as one
        table (created before): each is copied to a temporary table and dropped, so that the
        contracts create its new storage; ``ensure_schema`` then moves the rows back in, into
        the DEFAULT table (their months move to tables of their own as they are
        re-materialized). Returns table -> the temporary table holding its rows."""
        aside: dict[str, str] = {}
        for contract in contracts:
            info = existing.get(contract.name)
            if info is None or info.partition_by or not contract.per_month(self.engine):
                continue
            if info.is_parent:
                raise WarehouseError(
                    f"silver.{info.name} exists as one table (created before it was stored a "
                    "table per month) and other tables reference it: drop them and it, then "
                    "re-materialize the silver months (bronze has them)"
                )
            held = quote(f"_sec_aside_{info.name}")
            self._exclusive(tx, info.name)  # a load still writing it would be lost
            tx.execute(f"CREATE TEMP TABLE {held} AS SELECT * FROM silver.{quote(info.name)}")
            try:
                tx.execute(f"DROP TABLE silver.{quote(info.name)}")
            except WarehouseError as exc:
                raise WarehouseError(
                    f"silver.{info.name} exists as one table (created before it was stored a "
                    f"table per month) and cannot be dropped to move it ({exc}): drop what "
                    "depends on it (a view of gold, say), then ensure the schema again"
                ) from exc
            aside[info.name] = held
        return aside

    def tables(self, *, refresh: bool = False) -> dict[str, TableInfo]:
        """The silver tables as the catalog describes them (read once, then cached)."""
        with self._tables_lock:
            if self._tables is not None and not refresh:
                return self._tables
        with self._transaction() as tx:
            tables = self._catalog(tx)
        with self._tables_lock:
            self._tables = tables
        return tables

    def replace_partition(
        self, table: str, frame: pl.DataFrame, *, where: Mapping[str, object]
    ) -> int:
        """Replace the rows of ``silver.<table>`` matching ``where`` by ``frame``, atomically.

        ``where`` is a conjunction of equalities, e.g. ``{"month": "2024-01"}``. Returns the
        rows written.
        """
        return self.replace_many([ReplaceStep(table, frame, where=where)])[table]

    def replace_many(self, steps: Sequence[ReplaceStep]) -> dict[str, int]:
        """Replace several tables in ONE transaction; ``steps`` are given parents first.

        Deletes run in reverse order (children first) and inserts in the given order (parents
        first), as foreign keys require. Each step ends exactly as "delete the scope, insert
        the frame"; tables that foreign keys reference (the ledger), and on DuckDB every keyed
        table, get there by a merge on the primary key (see :mod:`.replace`). Returns rows
        written per table.
        """
        with self.session():  # the catalog read and the write on one connection
            return self._replace_many(steps)

    def _replace_many(self, steps: Sequence[ReplaceStep]) -> dict[str, int]:
        tables = self.tables()
        if any(step.table not in tables for step in steps):  # created since we looked?
            tables = self.tables(refresh=True)
        checked = [(step, check_step(step, tables)) for step in steps]
        plans = [
            (ReplaceStep(s.table, conform(s.frame, i), s.where, s.delete_in, s.within), i)
            for s, i in checked
        ]
        with self._transaction() as tx:
            blocked = apply_steps(tx, plans, self.quirks)
            if blocked:  # DuckDB only, and only when a replace drops referenced parent keys
                tx.restart()
                delete_blocked(tx, blocked)
        deferred = getattr(self._stats_deferred, "plans", None)
        if deferred is None:
            self._refresh_statistics(plans)
        else:  # inside replace_each: once for the whole series
            deferred.extend(plans)
        counts: dict[str, int] = {}
        for step, _ in plans:
            counts[step.table] = counts.get(step.table, 0) + step.frame.height
        return counts

    def upsert_dimension(
        self, table: str, frame: pl.DataFrame, key: str | Sequence[str]
    ) -> UpsertResult:
        """Insert the rows of ``frame`` whose ``key`` is absent and update the others.

        Nothing is deleted: dimensions are the parents of the facts' foreign keys. ``key`` must
        be the primary key or a unique constraint of the table.
        """
        keys = (key,) if isinstance(key, str) else tuple(key)
        info = self.tables().get(table) or self.tables(refresh=True).get(table)
        if info is None:
            raise ValueError(f"no table silver.{table}")
        if keys != info.primary_key and keys not in info.unique:
            raise ValueError(f"{keys} is not the primary key or a unique key of silver.{table}")
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise ValueError(f"the frame for silver.{table} lacks key column(s) {missing}")
        refuse_duplicate_keys(frame, keys, table)
        rows = conform(frame, info)
        with self._transaction() as tx:
            inserted = upsert_rows(tx, info, rows, keys, quirks=self.quirks)
        return UpsertResult(inserted=inserted, updated=rows.height - inserted)

    def replace_each(
        self, batches: Iterable[Sequence[ReplaceStep]], *, keep_going: bool = False
    ) -> Iterator[BatchResult]:
        """:meth:`replace_many` for each batch in turn, each in its own transaction, all on one
        connection (opened once for the series, not once per batch: see :meth:`session`).

        A batch that breaks a key rolls back alone. With ``keep_going`` its error is yielded in
        its :class:`BatchResult` and the next batches still run; without, it is raised. Batches
        are pulled one at a time: a generator builds the next only once the last is written.
        """
        deferred: list[Plan] = []
        self._stats_deferred.plans = deferred
        try:
            yield from self._replace_series(batches, keep_going)
        finally:
            self._stats_deferred.plans = None
            if deferred:
                self._refresh_statistics(deferred)

    def _replace_series(
        self, batches: Iterable[Sequence[ReplaceStep]], keep_going: bool
    ) -> Iterator[BatchResult]:
        with self.session():
            for steps in batches:
                start = time.perf_counter()
                try:
                    written = self.replace_many(steps)
                except WarehouseIntegrityError as exc:
                    if not keep_going:
                        raise
                    yield BatchResult(error=exc, seconds=time.perf_counter() - start)
                    continue
                yield BatchResult(written=written, seconds=time.perf_counter() - start)

    def replace_rows(
        self,
        table: str,
        frame: pl.DataFrame,
        *,
        key: str,
        replaced: pl.DataFrame,
        within: str | None = None,
        kept_where: tuple[str, Mapping[str, object]] | None = None,
    ) -> None:
        """Replace the stored rows ``replaced`` and the stored versions of ``frame``'s rows
        (matched by ``key``) by ``frame``, in one transaction.

        ``replaced`` holds ``key`` and the columns the table is stored by. A table stored per
        month rewrites each month this touches whole — its stored rows minus the replaced ones,
        plus the new ones — one bulk swap per month, its keys checked set-based, instead of
        deletes and inserts row by row; any other table deletes by key and inserts (merges, on
        DuckDB). ``within`` names a column the key determines (:class:`ReplaceStep`): such a
        table is then read and deleted from only where the column holds a value of
        ``replaced`` or ``frame``, a cost that does not grow with the table.

        ``kept_where`` is ``(condition, parameters)``, a condition on the table's columns that
        every stored row outside ``replaced`` satisfies (the caller knows the rows it fails are
        all replaced): a month rewritten whole is then read only where it holds, not whole.
        """
        with self.session():  # the read of the months kept and their rewrite: one connection
            self._replace_rows(
                table, frame, key=key, replaced=replaced, within=within, kept_where=kept_where
            )

    def _replace_rows(
        self,
        table: str,
        frame: pl.DataFrame,
        *,
        key: str,
        replaced: pl.DataFrame,
        within: str | None,
        kept_where: tuple[str, Mapping[str, object]] | None = None,
    ) -> None:
        info = self.tables().get(table) or self.tables(refresh=True)[table]
        gone = pl.concat([replaced[key], frame[key]]).unique()
        if not info.partition_by:
            bound = None
            if within is not None:
                touched = pl.concat([replaced[within], frame[within]]).unique().sort()
                bound = (within, touched.to_list())
            step = ReplaceStep(table, frame, delete_in=(key, gone.to_list()), within=bound)
            self.replace_many([step])
            return
        (column,) = info.partition_by
        values = sorted(set(replaced[column].to_list()) | set(frame[column].to_list()))
        if not values:
            return
        columns = ", ".join(quote(c) for c in frame.columns)
        condition, extra = kept_where if kept_where is not None else ("TRUE", {})
        marks, params = in_list("v", values)
        if set(extra) & set(params):
            raise ValueError(f"kept_where may not name parameters :v0, :v1, …: {sorted(extra)}")
        kept = self.read(
            f"SELECT {columns} FROM {quote(SCHEMA)}.{quote(table)} "
            f"WHERE {quote(column)} IN {marks} AND ({condition})",
            {**params, **extra},
            months=values,
        ).filter(~pl.col(key).is_in(gone.implode()))
        whole = pl.concat([kept.select(pl.col(c).cast(t) for c, t in frame.schema.items()), frame])
        self.replace_many(
            [
                ReplaceStep(table, whole.filter(pl.col(column) == v), where={column: v})
                for v in values
            ]
        )

    @contextmanager
    def lock(self, name: str, *, timeout_s: float) -> Iterator[None]:
        """Hold this warehouse's inter-process lock ``name`` for the block: one holder at a
        time, across processes (and machines, on Postgres); waiting longer than ``timeout_s``
        raises :class:`~.errors.WarehouseLockTimeout`. The calls inside the block share one
        connection (:meth:`session`), taken once the lock is held."""
        with self._named_lock(name, timeout_s), self.session():
            yield

"""The warehouse interface, written once over a small per-engine transaction API (:class:`Tx`).

:class:`Warehouse` holds everything both engines share — partition replacement, replacement by
key, dimension upserts, named locks — and runs the schema bootstrap (:mod:`.bootstrap`) with
its engine's :class:`~.storage.Storage`, so DuckDB and Postgres cannot drift apart; the
engines supply connections, locks, bulk load, bulk read and statistics (:mod:`.engine_api`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sec_assets.warehouse.bootstrap import ensure_schema
from sec_assets.warehouse.by_key import steps_by_key
from sec_assets.warehouse.engine_api import EngineAPI
from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets.warehouse.frames import (
    ReplaceStep,
    UpsertResult,
    check_step,
    conform,
    refuse_duplicate_keys,
)
from sec_assets.warehouse.replace import Plan, apply_steps, delete_blocked, upsert_rows
from sec_assets.warehouse.schema import TableInfo, ordered_contracts
from sec_assets.warehouse.storage import Storage
from sec_assets.warehouse.tx import Engine, Tx

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BatchResult", "Engine", "Tx", "Warehouse"]


@dataclass(frozen=True)
class BatchResult:
    """One batch of :meth:`Warehouse.replace_each`: rows written per table, or the key error
    that rolled it back, and the seconds spent writing it."""

    written: dict[str, int] = field(default_factory=dict)
    error: WarehouseIntegrityError | None = None
    seconds: float = 0.0


class Warehouse(EngineAPI):
    """The silver star schema in DuckDB or Postgres: the same tables, the same calls."""

    def __init__(self, *, sql_dir: Path | None, storage: Storage) -> None:
        super().__init__(sql_dir=sql_dir, storage=storage)
        self._tables: dict[str, TableInfo] | None = None  # the catalog, read once (tables())
        self._tables_lock = threading.Lock()

    def ensure_schema(self) -> list[str]:
        """Create schemas ``silver`` and ``gold`` and every silver contract, parents first.

        Idempotent and safe to call from concurrent processes. Returns the tables in the order
        they were ensured.
        """
        contracts = ordered_contracts(self.sql_dir)
        with self._transaction() as tx:
            tables = ensure_schema(tx, self.storage, contracts)
        with self._tables_lock:
            self._tables = tables
        return [c.name for c in contracts]

    def tables(self, *, refresh: bool = False) -> dict[str, TableInfo]:
        """The silver tables as the catalog describes them (read once, then cached)."""
        with self._tables_lock:
            if self._tables is not None and not refresh:
                return self._tables
        with self._transaction() as tx:
            tables = self.storage.catalog(tx)
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
        with self.session():  # the catalog read, the write and the statistics: one connection
            counts, plans = self._write_steps(steps)
            self._refresh_statistics(plans)
        return counts

    def _write_steps(self, steps: Sequence[ReplaceStep]) -> tuple[dict[str, int], list[Plan]]:
        """Write ``steps`` in one transaction; returns rows written per table and the plans
        whose statistics are due."""
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
        counts: dict[str, int] = {}
        for step, _ in plans:
            counts[step.table] = counts.get(step.table, 0) + step.frame.height
        return counts, plans

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
        """:meth:`replace_many` for each batch in turn, each in its own transaction and its own
        :meth:`session`; the statistics are refreshed once, after the last batch.

        A batch that breaks a key rolls back alone. With ``keep_going`` its error is yielded in
        its :class:`BatchResult` and the next batches still run; without, it is raised. Batches
        are pulled one at a time, outside any session: a generator builds the next only once the
        last is written, holding no connection meanwhile, so a kept connection (a run's, or a
        ranged load's) may go to another process that waits for the file while the next batch
        is built (a month parsed), and is otherwise reused (:mod:`.kept`).
        """
        deferred: list[Plan] = []
        try:
            yield from self._replace_series(batches, keep_going, deferred)
        finally:
            if deferred:
                self._refresh_statistics(deferred)

    def _replace_series(
        self, batches: Iterable[Sequence[ReplaceStep]], keep_going: bool, deferred: list[Plan]
    ) -> Iterator[BatchResult]:
        """Write each batch; the plans written are appended to ``deferred``."""
        for steps in batches:
            start = time.perf_counter()
            try:
                with self.session():
                    start = time.perf_counter()  # the write's own time, not the wait for the file
                    written, plans = self._write_steps(steps)
            except WarehouseIntegrityError as exc:
                if not keep_going:
                    raise
                yield BatchResult(error=exc, seconds=time.perf_counter() - start)
                continue
            deferred.extend(plans)
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
            info = self.tables().get(table) or self.tables(refresh=True)[table]
            steps = steps_by_key(
                info,
                frame,
                key=key,
                replaced=replaced,
                within=within,
                kept_where=kept_where,
                read=self.read,
            )
            if steps:
                self.replace_many(steps)

    @contextmanager
    def lock(self, name: str, *, timeout_s: float) -> Iterator[None]:
        """Hold this warehouse's inter-process lock ``name`` for the block: one holder at a
        time, across processes (and machines, on Postgres); waiting longer than ``timeout_s``
        raises :class:`~.errors.WarehouseLockTimeout`. The calls inside the block share one
        connection (:meth:`session`), taken once the lock is held."""
        with self._named_lock(name, timeout_s), self.session():
            yield

"""The embedded warehouse: one DuckDB file, ``$SEC_DATA_DIR/warehouse.duckdb`` by default.

Every key of the silver contracts is declared and enforced, as in Postgres, except in the month
tables of a table stored per month (:mod:`.duckdb_months`), which declare none: their keys are
checked set-based in the load's transaction (:mod:`.validate`). DuckDB's key handling makes
a delete + re-insert reload fail or crawl, so keyed tables are merged instead
(:class:`DuckDBWarehouse` says why).

The pieces: connections and locks (:mod:`.duckdb_file`), the transaction (:mod:`.duckdb_tx`),
the catalog (:mod:`.duckdb_catalog`), the storage of the contracts (:mod:`.duckdb_storage`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import polars as pl

from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.duckdb_file import DuckDBFile, _kept
from sec_assets.warehouse.duckdb_months import scoped
from sec_assets.warehouse.duckdb_storage import DuckDBStorage
from sec_assets.warehouse.duckdb_tx import DuckTx, mapped_errors
from sec_assets.warehouse.replace import Plan, Quirks
from sec_assets.warehouse.tx import Engine, Tx

_DuckTx = DuckTx  # the name tests patch
__all__ = ["DuckDBWarehouse", "_DuckTx", "_kept"]


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

    One process may open the file read-write: each call opens, works and closes its connection
    under the file lock; inside a Dagster run the calls of the process share one connection
    kept open instead (:meth:`keep_open`, :mod:`.kept`).
    """

    engine: ClassVar[Engine] = "duckdb"
    quirks: ClassVar[Quirks] = Quirks(
        merge_keyed=True, defer_referenced=True, immutable_indexed=True
    )
    storage: DuckDBStorage

    def __init__(
        self,
        path: Path | str,
        *,
        sql_dir: Path | None = None,
        lock_timeout_s: float = 300.0,
    ) -> None:
        super().__init__(sql_dir=sql_dir, storage=DuckDBStorage(sql_dir))
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self.file = DuckDBFile(
            self.path, lock_timeout_s=lock_timeout_s, opens=self.opens, label=repr(self)
        )
        self.lock_path = self.file.lock_path

    @property
    def where(self) -> str:
        """The database file."""
        return str(self.path)

    def __repr__(self) -> str:
        return f"DuckDBWarehouse(path={str(self.path)!r})"

    def keep_open(self, *, idle_s: float) -> None:
        """From now on, the calls of this process share one kept connection (for a Dagster
        run: see :mod:`.kept`): read-only until the first write, read-write from then on,
        closed after ``idle_s`` unused, after an error raised through it, before waiting for a
        named lock, and at :meth:`release_kept`."""
        self.file.keep_open(idle_s=idle_s)

    def release_kept(self) -> int:
        return self.file.release_kept()

    def _named_lock(self, name: str, timeout_s: float) -> AbstractContextManager[None]:
        return self.file.named_lock(name, timeout_s)

    def session(self) -> AbstractContextManager[None]:
        """Every call of this warehouse inside the block, on this thread, shares one read-write
        connection under the write lock: the file is opened once rather than once per call.
        Other processes wait for the lock meanwhile, so keep the block to one unit of work (a
        month's load)."""
        return self.file.session()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write DuckDB connection (autocommit, ``TimeZone`` UTC) under the write lock.

        Do not call other methods of this warehouse inside the block (same lock)."""
        with self.file.connection(write=True) as con:
            yield con

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        with self.file.connection(write=True) as con:
            con.begin()
            tx = DuckTx(con)
            try:
                yield tx
            except BaseException:
                con.rollback()
                tx.close()
                raise
            try:
                with mapped_errors():
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
        with self.file.connection(write=False) as con:
            tx = DuckTx(con)
            if months is not None:
                sql = scoped(tx, sql, months, self.storage.stored("per_month"))
            return tx.fetch_frame(sql, params)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self._transaction() as tx:
            tx.execute(sql, params)

    def _refresh_statistics(self, plans: Sequence[Plan]) -> None:
        """Nothing to do: DuckDB keeps its statistics up to date as it writes."""

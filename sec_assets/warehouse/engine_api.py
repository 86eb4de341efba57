"""What each engine provides to the engine-free verbs of :class:`~.base.Warehouse`: connections,
transactions, bulk read, statistics, locks, sessions and kept connections, and its
:class:`~.storage.Storage`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sec_assets.warehouse.opened import OpenCounter
from sec_assets.warehouse.replace import Plan, Quirks
from sec_assets.warehouse.storage import Storage
from sec_assets.warehouse.tx import Engine, Tx

if TYPE_CHECKING:
    import polars as pl


class EngineAPI(ABC):
    """The per-engine half of a warehouse (each engine class implements every method)."""

    engine: ClassVar[Engine]
    #: How replacement must bend to the engine (see :mod:`.replace`); none for Postgres.
    quirks: ClassVar[Quirks] = Quirks()

    def __init__(self, *, sql_dir: Path | None, storage: Storage) -> None:
        self.sql_dir = sql_dir
        self.storage = storage
        #: Counts the connections the engine's factory opens (see :mod:`.opened`).
        self.opens = OpenCounter()

    @property
    def connections_opened(self) -> int:
        """Connections this object opened (DuckDB: file opens; Postgres: logins, named locks'
        own included), for the run's log, the tests and the bench."""
        return self.opens.count

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

    @abstractmethod
    def _refresh_statistics(self, plans: Sequence[Plan]) -> None:
        """After a replace commits: bring the planner's statistics of what it wrote up to
        date, where the engine does not do so itself."""

    @abstractmethod
    def _named_lock(self, name: str, timeout_s: float) -> AbstractContextManager[None]:
        """Hold the inter-process lock ``name`` of this warehouse (see :meth:`lock`)."""

    @abstractmethod
    def keep_open(self, *, idle_s: float) -> None:
        """From now on, calls may share one connection kept open (for a Dagster run: see
        :class:`~.resource.WarehouseResource`, :mod:`.kept`) until :meth:`release_kept`."""

    @abstractmethod
    def release_kept(self) -> int:
        """Close what :meth:`keep_open` kept; returns how many times it was opened."""

    @abstractmethod
    def session(self) -> AbstractContextManager[None]:
        """Calls of this thread inside the block share one connection. The verbs below open it
        themselves; callers outside the warehouse need not."""

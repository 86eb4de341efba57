"""One read-only DuckDB connection kept open for a Dagster step's reads.

Opening the DuckDB file costs more as the history grows (the catalog of every month's table is
read each time): a gold step that reads a dozen times paid it a dozen times. Inside a Dagster
step, :class:`~sec_assets.warehouse.resource.WarehouseResource` lets the warehouse keep one
read-only connection (under the shared file lock) for all its reads, and closes it when the
step ends. Any write of this process closes it first (a read-write connection cannot coexist
with it in one process, and our own shared lock would block our exclusive one); the next read
reopens it. Reads through it are serialized: one connection, one query at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import duckdb


class CachedReader:
    """``open_`` returns (the shared-lock context, a connection opened under it)."""

    def __init__(
        self, open_: Callable[[], tuple[AbstractContextManager[Any], duckdb.DuckDBPyConnection]]
    ) -> None:
        self._open = open_
        self._lock = threading.RLock()
        self._held: tuple[AbstractContextManager[Any], duckdb.DuckDBPyConnection] | None = None
        self.opened = 0  # how many times the file was opened (tests, bench)

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._held is None:
                self._held = self._open()
                self.opened += 1
            yield self._held[1]

    def release(self) -> None:
        """Close the connection and drop the shared lock (before a write, at step end)."""
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            lock, con = held
            try:
                con.close()
            finally:
                lock.__exit__(None, None, None)

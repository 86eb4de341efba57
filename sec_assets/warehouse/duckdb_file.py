"""Connections to a DuckDB warehouse file: opened under an ``flock`` on ``<db>.lock``
(exclusive for writes, shared for reads, bounded by ``lock_timeout_s``), shared inside a
:meth:`DuckDBFile.session`, or kept open for a Dagster run (:mod:`.kept`); and the named locks
(``<db>.<name>.lock``).

One process may open the file read-write, so the state of who holds what is per file path and
per process: ``_kept`` (the process's kept connection), and per thread ``_sessions`` (the
connection of the thread's open session) and ``_held`` (the files the thread holds: nested use
would wait for its own lock).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from sec_assets.diskerrors import disk_hint, errno_in_text
from sec_assets.files import file_lock, someone_waits
from sec_assets.warehouse.errors import (
    WarehouseConnectionError,
    WarehouseError,
    WarehouseLockTimeout,
)
from sec_assets.warehouse.kept import KeptConnection
from sec_assets.warehouse.opened import OpenCounter
from sec_assets.warehouse.retrying import retry_while
from sec_assets.warehouse.schema import IDENTIFIER

#: How long a kept connection is held at least before it lets go for a process that waits for
#: the file (each hand-over closes and reopens the file: ~30 ms on the 119-month history).
HOLD_BEFORE_YIELDING_S = 1.0
#: The longest sleep of a process waiting for the file between two tries: a hand-over every
#: second or so should not leave the file unused for a quarter of a second.
WAIT_POLL_MAX_S = 0.02

_kept: dict[Path, KeptConnection] = {}  # path -> this process's kept connection
_kept_lock = threading.Lock()
_held = threading.local()  # paths this thread holds locked: nested use would self-deadlock
_sessions = threading.local()  # path -> the connection of this thread's open session()


def _is_lock_error(exc: Exception) -> bool:
    """DuckDB's refusal to open a file another process holds ("Could not set lock")."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class DuckDBFile:
    """The connections of one warehouse file; ``opens`` counts every one opened; ``label``
    names the warehouse in errors."""

    def __init__(self, path: Path, *, lock_timeout_s: float, opens: OpenCounter, label: str):
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.want_path = path.with_name(path.name + ".lock.want")  # held by who waits for it
        self.lock_timeout_s = lock_timeout_s
        self.opens = opens
        self.label = label

    def open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A new connection to the file (the caller holds the file lock), retrying DuckDB's
        own lock error for processes that skip our lock."""
        if read_only and not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}: run ensure_schema() first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self.opens.opened(
                retry_while(
                    lambda: duckdb.connect(str(self.path), read_only=read_only),
                    retryable=_is_lock_error,
                    timeout_s=self.lock_timeout_s,
                )
            )
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise WarehouseLockTimeout(
                    f"{self.path} stayed locked by another process for "
                    f"{self.lock_timeout_s:.0f} s: {exc}"
                ) from exc
            hint = f"; {disk_hint(code)}" if (code := errno_in_text(str(exc))) else ""
            raise WarehouseConnectionError(f"cannot open {self.path}: {exc}{hint}") from exc

    def open_locked(self, write: bool) -> tuple[Any, duckdb.DuckDBPyConnection]:
        """(The file lock, held: exclusive to write; a connection opened under it)."""
        lock = file_lock(
            self.lock_path,
            exclusive=write,
            timeout_s=self.lock_timeout_s,
            error=WarehouseLockTimeout,
            want=self.want_path,
            max_delay_s=WAIT_POLL_MAX_S,
        )
        lock.__enter__()
        try:
            con = self.open(read_only=not write)
            con.execute("SET TimeZone = 'UTC'").fetchall()
        except BaseException:
            lock.__exit__(None, None, None)
            raise
        return lock, con

    def keep_open(self, *, idle_s: float) -> None:
        """Keep one connection for the calls of this process (:mod:`.kept`)."""
        with _kept_lock:
            _kept.setdefault(
                self.path.resolve(),
                KeptConnection(
                    self.open_locked,
                    idle_s=idle_s,
                    wanted=lambda: someone_waits(self.want_path),
                    min_hold_s=HOLD_BEFORE_YIELDING_S,
                ),
            )

    def release_kept(self) -> int:
        """Close the kept connection; returns how many times it was opened."""
        with _kept_lock:
            kept = _kept.pop(self.path.resolve(), None)
        if kept is None:
            return 0
        kept.release()
        return kept.opened

    @contextmanager
    def named_lock(self, name: str, timeout_s: float) -> Iterator[None]:
        """An exclusive ``flock`` on ``<db>.<name>.lock`` beside the file (not the write lock:
        the holder still takes that for each write, or for its session)."""
        if not IDENTIFIER.match(name):
            raise ValueError(f"not a plain lock name: {name!r}")
        key = self.path.resolve()
        if key in getattr(_sessions, "cons", {}) or key in getattr(_held, "paths", set()):
            raise WarehouseError(
                f"lock {name!r} asked for inside a session or transaction of {self.label}: take "
                "it first (lock() opens the session once it is held), or this process would "
                "wait for it holding the file that its holder may be waiting for"
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
        """Every connection this thread asks for inside the block is one read-write connection
        under the write lock, opened once."""
        key = self.path.resolve()
        sessions: dict[Path, duckdb.DuckDBPyConnection] = getattr(_sessions, "cons", {})
        if key in sessions:  # already inside one
            yield
            return
        # DuckDB checkpoints whenever the WAL passes its threshold (about a month of facts),
        # so a ranged load checkpoints month by month while the parser process works on the
        # next month, rather than leaving the range to one checkpoint at close, with nothing
        # to overlap it and its months in memory until then (docs/benchmarks.md).
        with self.connection(write=True) as con:
            _sessions.cons = {**sessions, key: con}
            try:
                yield
            finally:
                _sessions.cons = sessions

    @contextmanager
    def connection(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """The session's connection, else the kept one, else one opened for the block."""
        key = self.path.resolve()
        shared = getattr(_sessions, "cons", {}).get(key)
        if shared is not None:  # inside session(): its connection, opened and closed there
            yield shared
            return
        held: set[Path] = getattr(_held, "paths", set())
        if key in held:
            raise WarehouseError(
                f"nested use of {self.label} on one thread (inside get_connection() or a "
                "transaction): it would wait for its own lock"
            )
        _held.paths = held | {key}
        kept = _kept.get(key)
        try:
            if kept is not None:
                with kept.connection(write=write) as con:
                    yield con
                return
            lock, con = self.open_locked(write)
            try:
                yield con
            finally:
                try:
                    con.close()
                finally:
                    lock.__exit__(None, None, None)
        finally:
            _held.paths = held

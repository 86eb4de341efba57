"""Connections to the Postgres warehouse: logins (autocommit, ``TimeZone`` UTC) whose failures
never show the DSN's secrets, one connection shared inside a :meth:`PostgresConnections.session`
or kept for a Dagster run (:mod:`.kept`), and the named locks (session advisory locks).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
from pydantic import SecretStr

from sec_assets.warehouse.dsn import describe_dsn, misread, redact_text
from sec_assets.warehouse.errors import WarehouseConnectionError, WarehouseLockTimeout
from sec_assets.warehouse.kept import KeptConnection
from sec_assets.warehouse.opened import OpenCounter


class PostgresConnections:
    """The connections of one warehouse; ``opens`` counts every login. The connection of a
    thread's open :meth:`session` lives in this object, as long as the session's block."""

    def __init__(self, dsn: SecretStr, *, connect_timeout_s: float, opens: OpenCounter) -> None:
        self._dsn = dsn
        self.connect_timeout_s = connect_timeout_s
        self.opens = opens
        self._kept: KeptConnection | None = None
        self._sessions = threading.local()  # .con: the connection of this thread's session

    @property
    def where(self) -> str:
        """``host:port/dbname``: never the user or the password."""
        return describe_dsn(self._dsn.get_secret_value())

    def connect(self) -> psycopg.Connection[Any]:
        """A new login; the driver's text, which may quote the DSN, is redacted, not chained."""
        dsn = self._dsn.get_secret_value()
        failure: str | None = None
        try:
            conn = psycopg.connect(
                dsn,
                autocommit=True,
                connect_timeout=max(1, round(self.connect_timeout_s)),
                application_name="sec_assets",
                client_encoding="utf8",
            )
        except Exception as exc:
            failure = f"{type(exc).__name__}: " + (
                misread(dsn) or redact_text(" ".join(str(exc).split()), dsn)
            )
        if failure is not None:
            raise WarehouseConnectionError(f"cannot connect to Postgres at {self.where}: {failure}")
        self.opens.opened(conn)
        try:
            conn.execute("SET TIME ZONE 'UTC'")
        except BaseException:
            conn.close()
            raise
        return conn

    def keep_open(self, *, idle_s: float) -> None:
        """Share one kept connection from now on (:mod:`.kept`)."""
        if self._kept is None:
            opener = lambda _write: (nullcontext(), self.connect())  # noqa: E731
            usable = lambda c: not c.closed and not c.broken  # noqa: E731
            self._kept = KeptConnection(opener, idle_s=idle_s, usable=usable)

    def release_kept(self) -> int:
        """Close the kept connection; returns how many times it was opened."""
        kept, self._kept = self._kept, None
        if kept is None:
            return 0
        kept.release()
        return kept.opened

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every connection this thread asks for inside the block is one, opened once."""
        if getattr(self._sessions, "con", None) is not None:
            yield
            return
        with self.connection() as conn:
            self._sessions.con = conn
            try:
                yield
            finally:
                self._sessions.con = None

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The session's connection, else the kept one (unless this thread is using it: a
        nested call gets its own), else one opened for the block."""
        shared = getattr(self._sessions, "con", None)
        if shared is not None:
            yield shared
            return
        kept = self._kept
        if kept is not None and not kept.in_use_here():
            with kept.connection(write=True) as conn:
                yield conn
            return
        with self.connect() as conn:
            yield conn

    @contextmanager
    def named_lock(self, name: str, timeout_s: float) -> Iterator[None]:
        """A session advisory lock, its key derived from ``name``, on a connection of its own
        (held until the block ends, whatever the block's transactions do); the wait is bounded
        by ``lock_timeout``."""
        key = zlib.crc32(f"sec_assets.{name}".encode())
        with self.connect() as conn:
            try:
                conn.execute(
                    "SELECT set_config('lock_timeout', %s, false)", (f"{int(timeout_s * 1000)}ms",)
                )
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            except psycopg.errors.LockNotAvailable:
                raise WarehouseLockTimeout(
                    f"the warehouse lock {name!r} stayed held by another load for {timeout_s:g} s"
                ) from None
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

"""The SEC client's state in Postgres (``SEC_STATE_URL=postgresql://…``), shared by every
machine: the Postgres form of ``sec_client/state/`` (here, where every database driver is).

Tables in schema ``sec_client_state``, created on first use, one row per key (keys start with
``SEC_STATE_NAMESPACE``, so deployments can share a database):

- ``rate_schedule``: the GCRA record, reserved by one upsert that sets ``tat`` to
  ``greatest(tat, now) + interval`` under the row's lock and returns it. The clock is the
  server's (``clock_timestamp()``): machines whose clocks disagree still share one schedule;
  the caller sleeps for the returned slot minus the server's time at the return. The table is
  ``UNLOGGED`` (no WAL flush per request): a server crash empties it, which only starts a
  fresh schedule.
- ``breaker``: the breaker's record as ``jsonb``; a change is ``SELECT … FOR UPDATE`` then
  ``UPDATE`` in one transaction.
- named locks: a session advisory lock (``pg_advisory_lock`` on a 64-bit hash of the name)
  held by a connection of its own for the block: the server releases it when that connection
  ends, so a killed process releases its locks at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sec_assets.sec_client.state.base import (
    CLOCK_SLACK_S,
    Reservation,
    StateStoreError,
)
from sec_assets.warehouse.dsn import clear_password_hosts, describe_dsn, misread, redact_text

log = logging.getLogger(__name__)
SCHEMA = "sec_client_state"
_NOW = "extract(epoch FROM clock_timestamp())::float8"
_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE UNLOGGED TABLE IF NOT EXISTS {SCHEMA}.rate_schedule (
    key text PRIMARY KEY, tat float8 NOT NULL, written_at float8 NOT NULL);
CREATE TABLE IF NOT EXISTS {SCHEMA}.breaker (
    key text PRIMARY KEY, record jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
"""
# EXCLUDED.written_at is the time the statement began, before it may have waited for the row:
# the step uses it (a slot is never before the previous one plus the interval, whatever the
# wait), while the clock-step test and the returned time read the clock after the wait.
_STEPPED_BACK = f"{_NOW} < r.written_at - %(slack)s"
_RESERVE = f"""
INSERT INTO {SCHEMA}.rate_schedule AS r (key, tat, written_at)
SELECT %(key)s, n.now + %(interval)s, n.now FROM (SELECT {_NOW} AS now) AS n
ON CONFLICT (key) DO UPDATE SET
    tat = CASE WHEN {_STEPPED_BACK} THEN EXCLUDED.written_at
               ELSE greatest(r.tat, EXCLUDED.written_at) END + %(interval)s,
    written_at = CASE WHEN {_STEPPED_BACK} THEN EXCLUDED.written_at
                      ELSE greatest(r.written_at, EXCLUDED.written_at) END
RETURNING tat, written_at, {_NOW}
"""
_LOCK_KEY = "hashtextextended(%s, 0)"


class PostgresStore:
    kind = "postgres"

    def __init__(self, dsn: str, *, namespace: str, connect_timeout_s: float = 10.0) -> None:
        self._dsn = dsn
        self.namespace = namespace
        self.connect_timeout_s = connect_timeout_s
        shown = describe_dsn(dsn) if not misread(dsn) else "(SEC_STATE_URL: libpq misreads it)"
        self.where = f"Postgres {shown} (schema {SCHEMA}, namespace {namespace})"
        hosts = clear_password_hosts(dsn, os.environ.get("PGSSLMODE"))
        if hosts:
            log.warning(
                f"SEC_STATE_URL may send its password to {', '.join(hosts)} without TLS: add "
                "sslmode=require (or verify-full) to it, or use a server on a loopback address"
            )
        self._guard = threading.Lock()  # one caller at a time on the shared connection
        self._conn: psycopg.Connection[Any] | None = None
        self._ready = False
        self._breaker: PostgresBreakerCell | None = None

    # -- connections -------------------------------------------------------------------------
    def connect(self) -> psycopg.Connection[Any]:
        """A new autocommit login; its failure's text never shows the DSN's secrets."""
        failure: str | None = None
        try:
            conn = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=max(1, round(self.connect_timeout_s)),
                application_name="sec_assets.client_state",
                keepalives=1,
                keepalives_idle=30,
            )
        except Exception as exc:
            failure = f"{type(exc).__name__}: " + (
                misread(self._dsn) or redact_text(" ".join(str(exc).split()), self._dsn)
            )
        if failure is not None:
            raise StateStoreError(f"cannot reach the client state store, {self.where}: {failure}")
        if not self._ready:
            with conn.transaction():  # one creator at a time (CREATE … IF NOT EXISTS races)
                conn.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})", [f"{SCHEMA}.ddl"])
                conn.execute(_DDL)
            self._ready = True
        return conn

    def _run(self, work: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        """``work`` on the shared connection; a broken connection is replaced once."""
        with self._guard:
            for attempt in (1, 2):
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = self.connect()
                try:
                    return work(self._conn)
                except psycopg.OperationalError as exc:
                    with suppress(Exception):
                        self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        text = redact_text(" ".join(str(exc).split()), self._dsn)
                        raise StateStoreError(f"{self.where}: {text}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._guard:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._breaker is not None:
                self._breaker.close()

    def key(self, what: str) -> str:
        return f"{self.namespace}:{what}"

    # -- the three kinds of state ------------------------------------------------------------
    def schedule(self, *, clock: Callable[[], float] | None = None) -> PostgresSchedule:
        return PostgresSchedule(self)

    def breaker(self) -> PostgresBreakerCell:
        """One cell (and one connection for its transactions) per store."""
        with self._guard:
            if self._breaker is None:
                self._breaker = PostgresBreakerCell(self)
            return self._breaker

    @contextmanager
    def lock(self, name: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        conn = self.connect()  # its own session: the lock lives and dies with it
        try:
            key = [self.key(f"lock:{name}")]
            row = conn.execute(f"SELECT pg_try_advisory_lock({_LOCK_KEY})", key).fetchone()
            if not (row and row[0]):
                if on_wait is not None:
                    on_wait()
                conn.execute(f"SELECT pg_advisory_lock({_LOCK_KEY})", key)
            yield
        finally:
            conn.close()  # ends the session: the server drops its advisory locks


class PostgresSchedule:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.where = store.where
        self._key = store.key("rate")

    def reserve(self, interval: float, tau: float, *, blocking: bool) -> Reservation | None:
        if not blocking:
            return None  # a network round trip: made in a worker thread, off the event loop
        params = {"key": self._key, "interval": interval, "slack": CLOCK_SLACK_S}
        tat, at, now = self.store._run(lambda c: c.execute(_RESERVE, params).fetchone())
        return Reservation(max(at, tat - interval - tau), now)


class _PostgresHold:
    def __init__(self, conn: psycopg.Connection[Any], key: str, record: Any) -> None:
        self.conn, self.key, self.record = conn, key, record

    def load(self) -> dict[str, Any] | None:
        return self.record if isinstance(self.record, dict) else None

    def save(self, record: dict[str, Any]) -> None:
        self.conn.execute(
            f"UPDATE {SCHEMA}.breaker SET record = %s, updated_at = now() WHERE key = %s",
            [Jsonb(record), self.key],
        )


class PostgresBreakerCell:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.where = store.where
        self._key = store.key("breaker")
        self._conn: psycopg.Connection[Any] | None = None
        self._guard = threading.Lock()

    def load(self) -> dict[str, Any] | None:
        sql = f"SELECT record FROM {SCHEMA}.breaker WHERE key = %s"
        row = self.store._run(lambda c: c.execute(sql, [self._key]).fetchone())
        return row[0] if row and isinstance(row[0], dict) else None

    @contextmanager
    def hold(self) -> Iterator[_PostgresHold]:
        with self._guard:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = self.store.connect()
            conn = self._conn
            try:
                with conn.transaction():
                    conn.execute(
                        f"INSERT INTO {SCHEMA}.breaker (key, record) VALUES (%s, '{{}}') "
                        "ON CONFLICT (key) DO NOTHING",
                        [self._key],
                    )
                    sql = f"SELECT record FROM {SCHEMA}.breaker WHERE key = %s FOR UPDATE"
                    row = conn.execute(sql, [self._key]).fetchone()
                    yield _PostgresHold(conn, self._key, row[0] if row else None)
            except psycopg.OperationalError as exc:  # the next hold logs in again
                text = redact_text(" ".join(str(exc).split()), self.store._dsn)
                raise StateStoreError(f"{self.where}: {text}") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

"""The SQLite instance's event log with each shard's connection kept open (``config/dagster.yaml``).

Dagster's SQLite event log opens a new engine and connection for every write and disposes of
them after it: an asset materialization or a check evaluation (a run's shard, then the index
shard) cost about 15 CPU ms, most of it SQLAlchemy's engine set-up and SQLite's checkpoint of
its write-ahead log when the last connection closes. A backfill range of 12 months stores
about 360 events (docs/benchmarks.md, "The event log's writes"). Here each process keeps one
connection per shard (the few most recently used), and writes the same rows:

* durability is unchanged: SQLite's default ``synchronous`` (FULL) on the database's
  write-ahead log, as Dagster creates it;
* a run's shard is checkpointed after each transaction that wrote to it, as closing its last
  connection did, waiting briefly for readers' snapshots (:func:`_checkpoint`): the
  webserver's live view of a run's log watches that file's changes;
* connections are closed when the storage is disposed of (the instance closed), when a
  wipe deletes the files, and when the least recently used of them leaves the cache. A
  process forked while they were open must not use them, nor open others: SQLite's locks
  are per process, and the child's view of them is its parent's. The storage then refuses
  (the warm run launcher's server closes its instance before forking);
* a wipe closes this process's connections; another process (the webserver, a run) whose
  kept connection's file was deleted or replaced opens the file anew at its next use
  (its inode checked each time), so no event is written into a deleted file.

The instance class (:class:`SecInstance`) only makes this storage the default of an instance
configured without ``storage`` (SQLite under ``$DAGSTER_HOME``), so the files stay where and
what Dagster's own ``DagsterSqliteStorage`` keeps them: the same instance can be opened by
Dagster's defaults and back.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import yaml
from dagster._core.instance import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

#: Connections kept per process: a run writes to its shard and the index; the webserver and
#: the daemon read the shards of the runs they are showing or watching.
KEPT_SHARDS = 8
#: SQLite's wait for a lock another process holds, as Dagster's own storage waits.
BUSY_TIMEOUT_S = 30.0
#: How long a write waits for readers' snapshots to let its log frames into the main file,
#: trying every :data:`CHECKPOINT_RETRY_S`.
CHECKPOINT_WAIT_S = 1.0
CHECKPOINT_RETRY_S = 0.01
#: Connections a forked child inherited: never closed by it (closing a file another process
#: holds a SQLite lock on drops that process's POSIX locks), only kept referenced.
_inherited: list[Engine] = []

__all__ = ["KeptSqliteEventLogStorage", "KeptSqliteStorage", "SecInstance"]


class KeptSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's :class:`SqliteEventLogStorage`, each shard's connection kept open."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, tuple[Engine, int | None]] = OrderedDict()  # + inode
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine of this process (one connection, kept), the least recently used
        one closed beyond :data:`KEPT_SHARDS`. A kept connection whose file was deleted or
        replaced since (a wipe by another process) is closed and the file opened anew, never
        written into after its deletion. The caller holds ``_db_lock``."""
        path = self.path_for_shard(shard)
        with self._engines_lock:
            if self._engines_pid != os.getpid():
                if self._engines:  # forked with connections open: SQLite's locks are not ours
                    raise RuntimeError(
                        "this event log storage was forked with SQLite connections open; "
                        "close the instance before forking (the warm run launcher's server "
                        "does) or open a new instance in the child"
                    )
                self._engines_pid = os.getpid()
            kept = self._engines.get(shard)
            if kept is not None:
                if _inode(path) == kept[1]:
                    self._engines.move_to_end(shard)
                    return kept[0]
                del self._engines[shard]
                kept[0].dispose()
                self._initialized_dbs.discard(shard)  # its tables created again
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                poolclass=StaticPool,  # one connection; _db_lock serializes its users
                connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            )
            with engine.connect():  # the file opened (created if new): its identity kept
                pass
            self._engines[shard] = (engine, _inode(path))
            while len(self._engines) > KEPT_SHARDS:
                self._engines.popitem(last=False)[1][0].dispose()
            return engine

    def _close_engines(self) -> None:
        """Close this process's connections (the caller holds ``_db_lock``: none is in use)."""
        with self._engines_lock:
            engines, self._engines = self._engines, OrderedDict()
            if self._engines_pid != os.getpid():  # a forked child's inherited ones: not closed
                _inherited.extend(engine for engine, _ in engines.values())
                self._engines_pid = os.getpid()
                return
        for engine, _ in engines.values():
            engine.dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # type: ignore[override]
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                dbapi = conn.connection.dbapi_connection
                changes = dbapi.total_changes if dbapi is not None else 0
                with conn.begin():
                    yield conn
                wrote = dbapi is None or dbapi.total_changes != changes
                if wrote and shard != INDEX_SHARD_NAME:  # the file the live log view watches
                    _checkpoint(conn)

    def wipe(self) -> None:
        with self._db_lock:  # the files are deleted: no connection may outlive them
            self._close_engines()
        super().wipe()

    def upgrade(self) -> None:
        with self._db_lock:
            self._close_engines()
        super().upgrade()

    def dispose(self) -> None:
        super().dispose()  # the watchers stopped first: none opens a connection after
        with self._db_lock:
            self._close_engines()


def _inode(path: str) -> int | None:
    """The file's inode (None: no file): what tells a deleted or replaced file from the one a
    connection has open."""
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _checkpoint(conn: Connection) -> None:
    """Copy the write-ahead log into the main file, as closing the file's last connection
    did: a reader's snapshot still open keeps its frames in the log (SQLite's PASSIVE mode
    skips them), so the checkpoint is tried again until every frame is copied, for up to
    :data:`CHECKPOINT_WAIT_S` (a reader's snapshot lasts a query); the next write retries."""
    deadline = time.monotonic() + CHECKPOINT_WAIT_S
    while True:
        busy, log_frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        if (not busy and log_frames == copied) or time.monotonic() >= deadline:
            return
        time.sleep(CHECKPOINT_RETRY_S)


class KeptSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage under ``base_dir`` (runs, schedules, the event log in the
    same files), its event log :class:`KeptSqliteEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


class SecInstance(DagsterInstance):
    """A Dagster instance whose default storage (no ``storage`` in ``dagster.yaml``) is
    :class:`KeptSqliteStorage` under the instance's directory; any configured storage is
    taken as configured."""

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": ConfigurableClassData(
                __name__, KeptSqliteStorage.__name__, yaml.dump({"base_dir": base_dir})
            ),
        }

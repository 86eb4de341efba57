"""One warehouse connection kept open for a Dagster run's steps, released when idle.

Opening the DuckDB file costs more as the history grows (the catalog of every month's table is
read each time, and each close checkpoints and rewrites it): a month's run that opened it for
each step, and gold for each read, paid that a dozen times. A Postgres connection costs a
round trip or three (TLS, authentication) per call, which a remote server makes dear. Inside
a run, :class:`~sec_assets.warehouse.resource.WarehouseResource` lets the warehouse keep one
connection for every call of the process. On Postgres it is simply kept (and released as
below); on DuckDB it is:

* read-only (under the shared file lock) until the process first writes; then read-write
  (under the exclusive lock), which serves reads as well, until it is released;
* released after ``idle_s`` without use (``SEC_WAREHOUSE_IDLE_S``), so a step that
  does not touch the warehouse (an HTTP collection, a retry's back-off) never keeps other
  processes waiting; at the end of a use when another process waits for the file and the
  connection has been held ``min_hold_s`` (``wanted``: DuckDB's want file,
  :func:`~sec_assets.files.someone_waits`), so runs of a backfill take turns between their
  writes and each parses its next months while another writes, instead of one run keeping
  the file through all its parsing; before this process waits for a named lock another process holds
  (:meth:`KeptConnection.release_idle`: that process may be waiting for the file); when the
  run ends; and after an error raised through it (the next call opens a fresh one).

Calls through it are serialized: one connection, one user at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sec_assets.warehouse.opened import OpenCounter

log = logging.getLogger(__name__)

Opener = Callable[[bool], tuple[AbstractContextManager[Any], Any]]


class KeptConnection:
    """``open_(write)`` returns (a lock's context, held; a connection opened under it), the
    connection's ``close()`` ending it, then the lock's ``__exit__``; ``usable(connection)``
    is asked before a kept connection is reused (False: it is opened anew). ``idle_s``: long enough
    to bridge the steps of a month's run (region customers → observations → episodes → gold,
    a month's bronze parsed in between), short enough that another run waiting for the
    file is not held up long by an idle one."""

    def __init__(
        self,
        open_: Opener,
        *,
        idle_s: float,
        usable: Callable[[Any], bool] = lambda _c: True,
        wanted: Callable[[], bool] = lambda: False,
        min_hold_s: float = 0.0,
    ) -> None:
        self._open = open_
        self._usable = usable
        self._wanted = wanted
        self.min_hold_s = min_hold_s
        self._since = 0.0  # when the held connection was opened
        self.idle_s = idle_s
        self._cond = threading.Condition(threading.RLock())
        self._held: tuple[AbstractContextManager[Any], Any] | None = None
        self._write = False
        self._users = 0
        self._owner: int | None = None
        self._last_use = 0.0
        self.opens = OpenCounter()  # how many times it was opened (the run's log, tests, bench)

    @contextmanager
    def connection(self, *, write: bool) -> Iterator[Any]:
        with self._cond:
            if self._held is not None and write and not self._write:
                if self._users:  # not reached: nested calls are refused or get their own
                    raise RuntimeError("cannot make a connection in use read-write")
                self._close()  # our own shared lock would block our exclusive one
            if self._held is not None and not self._users and not self._usable(self._held[1]):
                self._close(quiet=True)  # closed or broken under us (a server restart)
            if self._held is None:
                self._held = self._open(write)
                self._write = write
                self._last_use = self._since = time.monotonic()
                self.opens.opened(self._held)
                threading.Thread(
                    target=self._reap, name="warehouse-idle-release", daemon=True
                ).start()
            self._users += 1
            self._owner = threading.get_ident()
            try:
                yield self._held[1]
            except BaseException:
                if self._users == 1:  # a connection the engine may have invalidated: not kept
                    self._close(quiet=True)
                raise
            finally:
                self._users -= 1
                self._last_use = time.monotonic()
                if self._users == 0 and self._held is not None and self._yields():
                    self._close(quiet=True)
                self._cond.notify_all()

    @property
    def opened(self) -> int:
        """How many times the connection was opened."""
        return self.opens.count

    def in_use_here(self) -> bool:
        """Whether a call of this thread is using the connection (a nested call)."""
        return self._users > 0 and self._owner == threading.get_ident()

    def _yields(self) -> bool:
        """Whether to let go now, between two uses: held long enough, and wanted elsewhere."""
        return time.monotonic() - self._since >= self.min_hold_s and self._wanted()

    def release(self) -> None:
        """Close the connection and drop its lock (at the run's end)."""
        with self._cond:
            self._close()

    def release_idle(self) -> None:
        """Close the connection unless a call of this thread is using it."""
        with self._cond:
            if not self._users:
                self._close()

    def _close(self, *, quiet: bool = False) -> None:
        """Close the connection, then its lock. ``quiet``: a failure to close (a checkpoint on
        a full disk) is logged, not raised: the error being raised, or none, is the one that
        counts, and the lock is dropped either way."""
        held, self._held = self._held, None
        self._cond.notify_all()  # the reaper exits
        if held is None:
            return
        lock, con = held
        try:
            con.close()
        except Exception:
            if not quiet:
                raise
            log.warning("closing the kept warehouse connection failed", exc_info=True)
        finally:
            lock.__exit__(None, None, None)

    def _reap(self) -> None:
        """Close the connection once it has sat unused for ``idle_s``; ends with it."""
        with self._cond:
            held = self._held
            while self._held is held and held is not None:
                idle = time.monotonic() - self._last_use
                if not self._users and idle >= self.idle_s:
                    self._close(quiet=True)
                    return
                self._cond.wait(self.idle_s - idle)

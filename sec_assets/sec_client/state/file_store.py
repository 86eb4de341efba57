"""The client state in files under ``$SEC_DATA_DIR/state``: the single-machine default.

Every process on the machine that uses the same folder shares it; ``flock`` (which the kernel
drops when a killed process dies) makes each change exclusive. ``flock`` does not reach another
machine, nor reliably across a network file system: several machines use the Postgres or the
Redis store (``SEC_STATE_URL``).

- ``sec_rate.json``: the rate schedule, one fixed-width JSON record rewritten in place by a
  single ``pwrite`` under the lock, so a reader (always under the lock) sees the old record or
  the new one. A missing, empty or corrupt record starts a fresh schedule.
- ``sec_breaker.json``: the breaker's record, replaced atomically (``sec_breaker.lock`` beside
  it is the lock), only when its content changes; reads take no lock.
- ``locks/<name>.lock``: one ``flock`` per named lock.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from sec_assets.diskerrors import disk_errors
from sec_assets.files import LockTimeout, atomic_write, file_lock
from sec_assets.sec_client.state.base import Reservation, gcra_step

RATE_FILE = "sec_rate.json"
BREAKER_FILE = "sec_breaker.json"
RECORD_BYTES = 256  # the fixed width of the rate record (three floats need < 120)


class FileSchedule:
    """The GCRA record in one file; ``clock`` is the wall clock every process shares."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self.where = f"state file {self.path}"

    def reserve(self, interval: float, tau: float, *, blocking: bool) -> Reservation | None:
        with ExitStack() as held:
            try:
                fd = held.enter_context(file_lock(self.path, timeout_s=None if blocking else 0))
            except LockTimeout:
                return None
            now = self.clock()
            tat, written_at = self._read(fd)
            reservation, new_tat = gcra_step(tat, written_at, now, interval, tau)
            record = json.dumps({"tat": new_tat, "written_at": now, "rate": 1 / interval})
            os.pwrite(fd, record.encode().ljust(RECORD_BYTES - 1) + b"\n", 0)  # one write
            return reservation

    @staticmethod
    def _read(fd: int) -> tuple[float | None, float | None]:
        try:
            raw = json.loads(os.pread(fd, RECORD_BYTES, 0))
            return float(raw["tat"]), float(raw["written_at"])
        except (ValueError, TypeError, KeyError):  # empty or corrupt: JSON, shape or numbers
            return None, None


class _FileHold:
    def __init__(self, cell: FileBreakerCell) -> None:
        self.cell = cell

    def load(self) -> dict[str, Any] | None:
        return self.cell.load()

    def save(self, record: dict[str, Any]) -> None:
        with disk_errors(self.cell.path, "the SEC circuit breaker state"):
            atomic_write(self.cell.path, json.dumps(record))


class FileBreakerCell:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.where = f"state file {self.path}"

    def load(self) -> dict[str, Any] | None:
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):  # absent, or corrupt: the breaker starts closed
            return None
        return raw if isinstance(raw, dict) else None

    @contextmanager
    def hold(self) -> Iterator[_FileHold]:
        with file_lock(self.path.with_suffix(".lock")):
            yield _FileHold(self)


class FileStore:
    """The state under one folder (``<data_dir>/state``)."""

    kind = "file"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.where = f"folder {self.state_dir}"

    def schedule(self, *, clock: Callable[[], float] = time.time) -> FileSchedule:
        return FileSchedule(self.state_dir / RATE_FILE, clock=clock)

    def breaker(self) -> FileBreakerCell:
        return FileBreakerCell(self.state_dir / BREAKER_FILE)

    def lock_path(self, name: str) -> Path:
        return self.state_dir / "locks" / f"{name}.lock"

    @contextmanager
    def lock(self, name: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        with file_lock(self.lock_path(name), on_wait=on_wait):
            yield

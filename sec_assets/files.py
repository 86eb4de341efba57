"""Atomic file writes and inter-process file locks, written once for every layer.

:func:`atomic_write` writes a temporary file in the same folder, fsyncs it and renames it over
the target, so readers see the old file or the new one, never a part. :func:`file_lock` holds an
``flock``, which the kernel drops when a killed process dies; it belongs to an open file
description, so it also excludes other threads of the same process. A lock may have a *want*
file beside it: whoever waits for the lock holds a shared ``flock`` on it for as long as it
waits, so the holder can ask :func:`someone_waits` and let go between two uses rather than
when it next idles.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_FIRST_DELAY_S = 0.005
_MAX_DELAY_S = 0.25


class LockTimeout(TimeoutError):
    """The lock stayed held by someone else until the timeout."""


def fsync_dir(path: Path) -> None:
    """Make renames and links in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and fsync it (no rename: for files nobody reads yet)."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def replacing(path: Path, *, tmp_name: str | None = None, sync_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder (``tmp_name``, default
    ``.<name>.<uuid>.tmp``) for the block to write; then fsync it and rename it over ``path``,
    so readers see the old file or the new one. On failure the temporary file is removed.
    ``sync_dir`` also makes the rename itself durable (one more fsync, of the folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(tmp_name or f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        with contextlib.suppress(OSError):  # not every file system lets a folder be synced
            fsync_dir(path.parent)


def atomic_write(
    path: Path, data: bytes | str, *, tmp_name: str | None = None, sync_dir: bool = False
) -> Path:
    """Replace ``path`` by ``data`` (text as UTF-8) whole or not at all (:func:`replacing`)."""
    with replacing(path, tmp_name=tmp_name, sync_dir=sync_dir) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def backoff_until(deadline: float, max_delay_s: float = _MAX_DELAY_S) -> Iterator[None]:
    """Yield after sleeps of growing length (with jitter, up to ``max_delay_s``) until
    ``deadline`` passes."""
    delay = min(_FIRST_DELAY_S, max_delay_s)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, delay * random.uniform(0.5, 1.0)))
        delay = min(delay * 2, max_delay_s)
        yield


@contextmanager
def file_lock(
    path: Path,
    *,
    exclusive: bool = True,
    timeout_s: float | None = None,
    on_wait: Callable[[], None] | None = None,
    error: Callable[[str], Exception] = LockTimeout,
    want: Path | None = None,
    max_delay_s: float = _MAX_DELAY_S,
) -> Iterator[int]:
    """Hold ``path`` locked (exclusively or shared) for the block; yields the open descriptor.

    ``timeout_s=None`` waits as long as it takes, ``0`` tries once, anything else polls with
    backoff until then and raises ``error(message)``. ``on_wait`` is called once if the lock
    was not free at the first try. ``want``: the lock's want file, held shared while waiting
    (:func:`someone_waits`); ``max_delay_s``: the longest sleep between two tries (how late a
    waiter may notice that the lock was let go)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            with _wanting(want):
                if timeout_s is None:
                    fcntl.flock(fd, mode)
                else:
                    waits = backoff_until(time.monotonic() + timeout_s, max_delay_s)
                    while True:
                        if next(waits, StopIteration) is StopIteration:
                            raise error(
                                f"{path} stayed locked by another process for {timeout_s:.0f} s"
                            ) from None
                        try:
                            fcntl.flock(fd, mode | fcntl.LOCK_NB)
                            break
                        except BlockingIOError:
                            pass
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _wanting(want: Path | None) -> Iterator[None]:
    """A shared ``flock`` on ``want`` for the block (nothing when ``want`` is None)."""
    if want is None:
        yield
        return
    fd = os.open(want, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # a holder's test takes it exclusively for an instant
        yield
    finally:
        os.close(fd)  # drops the flock


def someone_waits(want: Path) -> bool:
    """Whether a process (or another open of the lock in this one) is waiting for the lock
    whose want file is ``want``: it holds the file shared, so it cannot be taken exclusively."""
    try:
        fd = os.open(want, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False

"""Atomic file writes and inter-process file locks, written once for every layer.

:func:`atomic_write` writes a temporary file in the same folder, fsyncs it and renames it over
the target, so readers see the old file or the new one, never a part. :func:`file_lock` holds an
``flock``, which the kernel drops when a killed process dies; it belongs to an open file
description, so it also excludes other threads of the same process.
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


def backoff_until(deadline: float) -> Iterator[None]:
    """Yield after sleeps of growing length (with jitter) until ``deadline`` passes."""
    delay = _FIRST_DELAY_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, delay * random.uniform(0.5, 1.0)))
        delay = min(delay * 2, _MAX_DELAY_S)
        yield


@contextmanager
def file_lock(
    path: Path,
    *,
    exclusive: bool = True,
    timeout_s: float | None = None,
    on_wait: Callable[[], None] | None = None,
    error: Callable[[str], Exception] = LockTimeout,
) -> Iterator[int]:
    """Hold ``path`` locked (exclusively or shared) for the block; yields the open descriptor.

    ``timeout_s=None`` waits as long as it takes, ``0`` tries once, anything else polls with
    backoff until then and raises ``error(message)``. ``on_wait`` is called once if the lock
    was not free at the first try."""
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
            if timeout_s is None:
                fcntl.flock(fd, mode)
            else:
                waits = backoff_until(time.monotonic() + timeout_s)
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

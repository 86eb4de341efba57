"""A bounded inter-process lock on a file beside the DuckDB database (``flock``).

``flock`` locks belong to an open file description, so they exclude other threads of the same
process as well as other processes. Writers take it exclusively, readers shared. Waiting is
polled with exponential backoff up to a deadline, then :class:`WarehouseLockTimeout`.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sec_assets.warehouse.errors import WarehouseLockTimeout

T = TypeVar("T")
_FIRST_DELAY_S = 0.005
_MAX_DELAY_S = 0.25


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
def file_lock(path: Path, *, exclusive: bool, timeout_s: float) -> Iterator[None]:
    """Hold ``path`` locked (exclusively or shared) for the block; wait at most ``timeout_s``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + timeout_s
        waits = backoff_until(deadline)
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if next(waits, StopIteration) is StopIteration:
                    raise WarehouseLockTimeout(
                        f"{path} stayed locked by another writer for {timeout_s:.0f} s"
                    ) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def retry_while(
    attempt: Callable[[], T], *, retryable: Callable[[Exception], bool], timeout_s: float
) -> T:
    """``attempt()``, retried with backoff while it raises a ``retryable`` error, up to
    ``timeout_s``; the last error is re-raised when time is up."""
    waits = backoff_until(time.monotonic() + timeout_s)
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not retryable(exc) or next(waits, StopIteration) is StopIteration:
                raise

"""Retrying a warehouse operation while it fails for a passing reason (the DuckDB file held by
another process), with the backoff of :func:`sec_assets.files.backoff_until`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sec_assets.files import backoff_until

T = TypeVar("T")


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

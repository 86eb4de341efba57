"""How many connections a warehouse opened: instrumentation for the run's log, tests and bench.

Each engine's connection factory records every connection it opens here, and nothing else
counts them (DuckDB: file opens; Postgres: logins, named locks' own included).
"""

from __future__ import annotations

import threading
from typing import TypeVar

C = TypeVar("C")


class OpenCounter:
    """A thread-safe count of connections opened."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self._count

    def opened(self, connection: C) -> C:
        """Count ``connection``, just opened, and hand it back."""
        with self._lock:
            self._count += 1
        return connection

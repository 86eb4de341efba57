"""What the simulator was asked and what it did: a thread-safe, append-only list."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class LogEntry:
    method: str
    hour: str | None  # "YYYY-MM-DDTHH" for GetPorFecha, else None
    status: int | None  # None: no HTTP answer (hang, reset, or the client left)
    fault: str | None = None

    def as_tuple(self) -> tuple[str, str | None, int | None]:
        return (self.method, self.hour, self.status)


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def add(
        self, method: str, hour: str | None, status: int | None, fault: str | None = None
    ) -> None:
        with self._lock:
            self._entries.append(LogEntry(method, hour, status, fault))

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

"""A circuit breaker whose state lives in a file, so it outlives the run and the process.

CLOSED → OPEN after ``failure_threshold`` consecutive failed requests; OPEN → HALF_OPEN once
``cooldown_s`` has passed; in HALF_OPEN a single probe is let through: success closes the
circuit, failure opens it again for another cooldown. Every read-modify-write happens under an
exclusive ``flock`` and the file is replaced atomically, so concurrent processes (parallel
partition runs) share one consistent breaker.

Written by hand rather than with pybreaker: its state storage is in-memory or Redis, and its
async support is Tornado-only; we need a file-backed state shared across processes.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Persisted:
    state: str = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float | None = None
    probe_started_at: float | None = None
    last_error: str | None = None
    updated_at: float | None = None


class CircuitBreaker:
    """File-backed breaker. ``allow_request`` is the gate; ``record_*`` report outcomes."""

    def __init__(
        self,
        path: Path,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 1800.0,
        probe_timeout_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.probe_timeout_s = probe_timeout_s
        self.clock = clock

    # -- persistence -------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[_Persisted]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = self._read()
                yield data
                data.updated_at = self.clock()
                tmp = self.path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(json.dumps(asdict(data)))
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> _Persisted:
        try:
            raw = json.loads(self.path.read_text())
            return _Persisted(**{k: raw.get(k) for k in _Persisted.__dataclass_fields__})
        except FileNotFoundError:
            return _Persisted()
        except (ValueError, TypeError):
            # A corrupt state file must not wedge the collector: start closed.
            return _Persisted()

    def _effective(self, data: _Persisted) -> BreakerState:
        state = BreakerState(data.state or BreakerState.CLOSED)
        cooled = data.opened_at is not None and self.clock() - data.opened_at >= self.cooldown_s
        if state is BreakerState.OPEN and cooled:
            return BreakerState.HALF_OPEN
        return state

    # -- public API --------------------------------------------------------------------------
    @property
    def state(self) -> BreakerState:
        return self._effective(self._read())

    def snapshot(self) -> dict[str, object]:
        """The persisted fields plus the effective state, for metadata and logs."""
        data = self._read()
        return {**asdict(data), "state": str(self._effective(data))}

    def allow_request(self) -> bool:
        """True if a request may be sent now. In HALF_OPEN only one caller gets True (the probe)."""
        with self._locked() as data:
            state = self._effective(data)
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.OPEN:
                return False
            now = self.clock()
            probe_alive = (
                data.probe_started_at is not None
                and now - data.probe_started_at < self.probe_timeout_s
            )
            if probe_alive:
                return False
            data.state = BreakerState.HALF_OPEN
            data.probe_started_at = now
            return True

    def probe_in_flight(self) -> bool:
        data = self._read()
        return self._effective(data) is BreakerState.HALF_OPEN and data.probe_started_at is not None

    def record_success(self) -> None:
        current = self._read()
        if current.state == BreakerState.CLOSED and not current.consecutive_failures:
            return  # nothing to change: spare the lock and the write
        with self._locked() as data:
            data.state = BreakerState.CLOSED
            data.consecutive_failures = 0
            data.opened_at = None
            data.probe_started_at = None

    def record_failure(self, error: str) -> None:
        with self._locked() as data:
            state = self._effective(data)
            data.consecutive_failures += 1
            data.last_error = error[:200]
            if state is BreakerState.HALF_OPEN or (
                data.consecutive_failures >= self.failure_threshold
            ):
                data.state = BreakerState.OPEN
                data.opened_at = self.clock()
                data.probe_started_at = None

    def reset(self) -> None:
        with self._locked() as data:
            data.state = BreakerState.CLOSED
            data.consecutive_failures = 0
            data.opened_at = data.probe_started_at = None

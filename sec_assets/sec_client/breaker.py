"""A circuit breaker whose state lives in a file, so it outlives the run and the process.

CLOSED → OPEN after ``failure_threshold`` consecutive failed requests; OPEN → HALF_OPEN once
``cooldown_s`` has passed; in HALF_OPEN a single probe is let through: success closes the
circuit, failure opens it again for another cooldown. The breaker remembers the endpoint whose
failure tripped it: only a request to that endpoint can be the probe, and only its success
closes the circuit (a cheap ``GetHoraServer`` answering says nothing about ``GetPorFecha``).
A probe's claim expires after ``probe_timeout_s`` (a process killed mid-probe blocks nobody for
longer). Every read-modify-write happens under an exclusive ``flock`` and the file is replaced
atomically, only when its content changes; waiting is read-only (``gate.py``).

Written by hand rather than with pybreaker: its state storage is in-memory or Redis, and its
async support is Tornado-only; we need a file-backed state shared across processes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

from sec_assets.diskerrors import disk_errors
from sec_assets.files import atomic_write, file_lock
from sec_assets.sec_client.breaker_text import (  # noqa: F401  (RESET_* re-exported)
    RESET_MAKE,
    RESET_VERB,
)
from sec_assets.sec_client.breaker_text import describe as describe_breaker


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class PersistedState:
    state: str = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float | None = None
    probe_started_at: float | None = None
    last_error: str | None = None
    updated_at: float | None = None
    endpoint: str | None = None  # of the failures counted (the one that tripped it when open)


class CircuitBreaker:
    """File-backed breaker. ``allow_request`` is the gate; ``record_*`` report outcomes."""

    def __init__(
        self,
        path: Path,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 1800.0,
        probe_timeout_s: float = 270.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.probe_timeout_s = probe_timeout_s
        self.clock = clock
        self._peeked: tuple[float, PersistedState] | None = None  # (monotonic time, state)

    # -- persistence -------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[PersistedState]:
        """Read under the lock; write back only if the block changed something."""
        with file_lock(self.path.with_suffix(".lock")):
            try:
                data = self._read()
                before = replace(data)
                yield data
                if data != before:
                    data.updated_at = self.clock()
                    with disk_errors(self.path, "the SEC circuit breaker state"):
                        atomic_write(self.path, json.dumps(asdict(data)))
            finally:
                self._peeked = None  # this process's own changes are seen at once

    def _read(self) -> PersistedState:
        try:
            raw = json.loads(self.path.read_text())
            return PersistedState(**{k: raw.get(k) for k in PersistedState.__dataclass_fields__})
        except FileNotFoundError:
            return PersistedState()
        except (ValueError, TypeError, AttributeError):
            # A corrupt state file must not wedge the collector: start closed.
            return PersistedState()

    def peek(self, max_age_s: float = 0.1) -> PersistedState:
        """The state as read at most ``max_age_s`` ago (read-only): what waiting requests
        poll, so that hundreds of them cost one read per interval, and no write."""
        now = time.monotonic()
        if self._peeked is None or now - self._peeked[0] > max_age_s:
            self._peeked = (now, self._read())
        return self._peeked[1]

    def effective(self, data: PersistedState) -> BreakerState:
        return self._effective(data)

    def may_probe(self, data: PersistedState, endpoint: str | None) -> bool:
        """Whether ``allow_request(endpoint)`` could make this request the probe now."""
        return self._may_probe(data, endpoint)

    def probe_alive(self, data: PersistedState) -> bool:
        return self._probe_alive(data)

    def _effective(self, data: PersistedState) -> BreakerState:
        state = BreakerState(data.state or BreakerState.CLOSED)
        if state is BreakerState.OPEN and self._cooled(data):
            return BreakerState.HALF_OPEN
        return state

    def _cooled(self, data: PersistedState) -> bool:
        return data.opened_at is not None and self.clock() - data.opened_at >= self.cooldown_s

    def _probe_alive(self, data: PersistedState) -> bool:
        started = data.probe_started_at
        return started is not None and self.clock() - started < self.probe_timeout_s

    # -- public API --------------------------------------------------------------------------
    @property
    def state(self) -> BreakerState:
        return self._effective(self._read())

    def snapshot(self) -> dict[str, object]:
        """The persisted fields plus the effective state, for metadata and logs."""
        data = self._read()
        return {**asdict(data), "state": str(self._effective(data))}

    def allow_request(self, endpoint: str | None = None) -> bool:
        """True if a request may be sent now. In HALF_OPEN only one caller gets True (the
        probe), and only for the endpoint that tripped the breaker (any, if unknown)."""
        data = self._read()  # decide read-only when the answer is no: no lock, no write
        if not self._may_probe(data, endpoint):
            return self._effective(data) is BreakerState.CLOSED
        with self._locked() as data:
            state = self._effective(data)
            if state is BreakerState.CLOSED:
                return True
            if not self._may_probe(data, endpoint):
                return False
            data.state = BreakerState.HALF_OPEN
            data.probe_started_at = self.clock()
            return True

    def _may_probe(self, data: PersistedState, endpoint: str | None) -> bool:
        return (
            self._effective(data) is BreakerState.HALF_OPEN
            and not self._probe_alive(data)
            and (endpoint is None or data.endpoint is None or endpoint == data.endpoint)
        )

    def probe_in_flight(self) -> bool:
        data = self._read()
        return self._effective(data) is BreakerState.HALF_OPEN and self._probe_alive(data)

    def probe_deadline(self) -> float | None:
        """When the current probe's claim expires (epoch seconds), if a probe is in flight."""
        data = self.peek()
        if self._effective(data) is BreakerState.HALF_OPEN and self._probe_alive(data):
            return float(data.probe_started_at or 0) + self.probe_timeout_s
        return None

    def tripped_by(self) -> str | None:
        """The endpoint whose failures opened the breaker (or are being counted)."""
        return self._read().endpoint

    def half_opens_at(self) -> float | None:
        opened = self._read().opened_at
        return None if opened is None else opened + self.cooldown_s

    def record_success(self, endpoint: str | None = None) -> None:
        """An answer: closes the circuit, unless it came from another endpoint than the one
        failing (that success says nothing about it)."""
        current = self._read()
        if current.state == BreakerState.CLOSED and not current.consecutive_failures:
            return  # nothing to change: spare the lock and the write
        if endpoint is not None and current.endpoint not in (None, endpoint):
            return
        with self._locked() as data:
            if endpoint is not None and data.endpoint not in (None, endpoint):
                return
            data.state = BreakerState.CLOSED
            data.consecutive_failures = 0
            data.opened_at = data.probe_started_at = data.endpoint = None

    def record_failure(self, error: str, endpoint: str | None = None) -> None:
        with self._locked() as data:
            state = self._effective(data)
            data.consecutive_failures += 1
            data.last_error = error[:200]
            data.endpoint = endpoint or data.endpoint
            if state is BreakerState.HALF_OPEN or (
                data.consecutive_failures >= self.failure_threshold
            ):
                data.state = BreakerState.OPEN
                data.opened_at = self.clock()
                data.probe_started_at = None

    def release_probe(self) -> None:
        """The probe was not answered by the service (a configuration mistake of ours): its
        claim is given back, so the next request probes at once; nothing is counted."""
        if self._read().probe_started_at is None:
            return
        with self._locked() as data:
            data.probe_started_at = None

    def reset(self) -> None:
        with self._locked() as data:
            data.state = BreakerState.CLOSED
            data.consecutive_failures = 0
            data.opened_at = data.probe_started_at = data.endpoint = None

    def describe(self) -> str:
        """One line for an error or a skip: the state, since when, until when, why, and how to
        reset it by hand (``breaker_text.py``)."""
        return describe_breaker(self, self._read())

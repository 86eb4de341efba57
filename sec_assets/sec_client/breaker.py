"""A circuit breaker whose state lives in the client state store, so it outlives the run and the
process (and, with a shared store, is one breaker for every machine).

CLOSED → OPEN after ``failure_threshold`` consecutive failed requests; OPEN → HALF_OPEN once
``cooldown_s`` has passed; in HALF_OPEN a single probe is let through: success closes the
circuit, failure opens it again for another cooldown. The breaker remembers the endpoint whose
failure tripped it: only a request to that endpoint can be the probe, and only its success
closes the circuit (a cheap ``GetHoraServer`` answering says nothing about ``GetPorFecha``).
A probe's claim expires after ``probe_timeout_s`` (a process killed mid-probe blocks nobody for
longer). Every read-modify-write holds the record exclusively (``BreakerCell.hold``: an
``flock``, a row lock, a Redis lease) and writes it back only when its content changes; waiting
is read-only (``gate.py``). The stores: ``sec_client/state/``.

Written by hand rather than with pybreaker: its state storage is in-memory or Redis, and its
async support is Tornado-only; we need one state shared across processes in files, Postgres or
Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from sec_assets.sec_client.breaker_text import (  # noqa: F401  (RESET_* re-exported)
    RESET_MAKE,
    RESET_VERB,
)
from sec_assets.sec_client.breaker_text import describe as describe_breaker
from sec_assets.sec_client.state.base import BreakerCell
from sec_assets.sec_client.state.file_store import FileBreakerCell


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
    """``allow_request`` is the gate; ``record_*`` report outcomes. ``cell``: where the state
    lives (a path: that file)."""

    def __init__(
        self,
        cell: BreakerCell | Path,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 1800.0,
        probe_timeout_s: float = 270.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(cell, Path):
            cell = FileBreakerCell(cell)
        self.cell = cell
        #: The state file, when the state is a file.
        self.path: Path | None = cell.path if isinstance(cell, FileBreakerCell) else None
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.probe_timeout_s = probe_timeout_s
        self.clock = clock
        self._peeked: tuple[float, PersistedState] | None = None  # (monotonic time, state)

    # -- persistence -------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[PersistedState]:
        """Read under an exclusive hold; write back only if the block changed something."""
        with self.cell.hold() as held:
            try:
                data = self._parse(held.load())
                before = replace(data)
                yield data
                if data != before:
                    data.updated_at = self.clock()
                    held.save(asdict(data))
            finally:
                self._peeked = None  # this process's own changes are seen at once

    def _read(self) -> PersistedState:
        return self._parse(self.cell.load())

    @staticmethod
    def _parse(raw: dict[str, Any] | None) -> PersistedState:
        """The record; absent or corrupt (wrong fields or types) must not wedge the collector:
        it starts closed."""
        if not raw:
            return PersistedState()
        try:
            fields = PersistedState.__dataclass_fields__
            data = PersistedState(**{k: raw[k] for k in fields if k in raw})
            BreakerState(data.state)
        except (ValueError, TypeError):
            return PersistedState()
        return data if isinstance(data.consecutive_failures, int) else PersistedState()

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

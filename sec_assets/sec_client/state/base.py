"""What the SEC client keeps between requests, runs and processes, whatever the store.

Three things, each reached through a small interface: the rate limit's schedule (GCRA: one
*theoretical arrival time* reserved atomically), the circuit breaker's record (read freely,
changed under an exclusive hold) and named locks (one collector per bronze month). A store
(:class:`StateStore`) gives all three; ``file_store``, ``redis_store`` and
``warehouse/client_state.py`` (Postgres) implement it; ``sec_client/state/__init__.py``
picks one from ``SEC_STATE_URL``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, Protocol

CLOCK_SLACK_S = 1.0  # a clock this much earlier than the last write has been stepped back


class Reservation(NamedTuple):
    """A reserved send time and the time it was reserved at, both on the store's clock."""

    slot: float
    now: float


def gcra_step(
    tat: float | None, written_at: float | None, now: float, interval: float, tau: float
) -> tuple[Reservation, float]:
    """One GCRA reservation: the caller's slot and the ``tat`` to store. A missing or
    non-finite record, or one written by a clock since stepped back, starts a fresh schedule.
    (The Postgres and Redis stores compute the same step in SQL and in Lua.)"""
    fresh = (
        tat is None
        or written_at is None
        or not (math.isfinite(tat) and math.isfinite(written_at))
        or now < written_at - CLOCK_SLACK_S
    )
    start = now if fresh or tat is None else max(tat, now)
    return Reservation(max(now, start - tau), now), start + interval


class RateSchedule(Protocol):
    """The rate limit's shared schedule."""

    where: str

    def reserve(self, interval: float, tau: float, *, blocking: bool) -> Reservation | None:
        """Reserve the next slot; None when ``blocking`` is false and the store cannot answer
        without waiting (another caller holds it, or the store is across a network)."""
        ...


class BreakerHold(Protocol):
    """The breaker's record held exclusively: read it, and write it back if changed."""

    def load(self) -> dict[str, Any] | None: ...

    def save(self, record: dict[str, Any]) -> None: ...


class BreakerCell(Protocol):
    """Where the circuit breaker's record lives."""

    where: str

    def load(self) -> dict[str, Any] | None:
        """The record (read-only, no hold); None if absent or unreadable."""
        ...

    def hold(self) -> AbstractContextManager[BreakerHold]:
        """Exclusive access for one read-modify-write."""
        ...


class StateStore(Protocol):
    """The three kinds of client state of one deployment."""

    #: For messages: where the state is, never a password.
    where: str
    #: ``file``, ``postgres`` or ``redis``.
    kind: str

    def schedule(self, *, clock: Callable[[], float] = time.time) -> RateSchedule:
        """The rate schedule; ``clock`` is used by a store without a clock of its own."""
        ...

    def breaker(self) -> BreakerCell: ...

    def lock(
        self, name: str, *, on_wait: Callable[[], None] | None = None
    ) -> AbstractContextManager[None]:
        """Hold the named lock for the block; ``on_wait`` is called once if it was taken.
        A process that dies holding it releases it (at once, or after the store's lease)."""
        ...


class StateStoreError(RuntimeError):
    """The shared store cannot be reached or answered wrongly; the text never holds a secret."""

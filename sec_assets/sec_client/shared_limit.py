"""A rate limit shared by every process that uses the same client state store.

A backfill runs several months at once, one process per month (on one machine or several); a
per-process limiter would let N processes send N times ``SEC_REQUESTS_PER_SECOND``. This one
(GCRA, its state in the store ``SEC_STATE_URL`` names: by default
``$SEC_DATA_DIR/state/sec_rate.json`` under an ``flock``) holds their total to the rate.
How it works: :class:`SharedRateLimiter`; the stores: ``sec_client/state/``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sec_assets.sec_client.state.base import RateSchedule
from sec_assets.sec_client.state.file_store import RATE_FILE, FileSchedule

STATE_FILE = RATE_FILE


class SharedRateLimiter:
    """``await limiter.acquire()`` (or ``async with limiter:``) before each request.

    Design: GCRA (the generic cell rate algorithm) in its scheduling form. The only state is the
    *theoretical arrival time* ``tat`` — when the next request may go if none is early — kept in
    a store every caller shares (:class:`~sec_assets.sec_client.state.base.RateSchedule`: a
    small file, a Postgres row or a Redis hash). :meth:`reserve` atomically reads ``tat``,
    reserves the slot ``max(now, tat - tau)`` for the caller and writes ``max(tat, now) +
    1/rate`` back; :meth:`acquire` then sleeps until its slot. The file store reserves on the
    event loop with a non-blocking ``flock`` when the lock is free, else in a worker thread; the
    network stores always in a worker thread: the loop never waits for another process.
    Callers are served in the order they reserved, across processes, each at least ``1/rate``
    after the previous one (``burst=1``, the default: pure spacing; ``tau`` is ``(burst - 1) /
    rate``). In any one-second window at most ``ceil(rate)`` requests are *scheduled*; a send
    can only be later than its slot (a busy event loop), never earlier, so a measured window may
    hold one or two more when late sends bunch up behind on-time ones.

    Clocks: the file store uses the wall clock every process of the machine shares; Postgres and
    Redis use the server's, and return it with the slot, so a caller sleeps ``slot - now`` as
    the store saw it — machines whose clocks disagree still share one schedule. A missing or
    corrupt record starts a fresh schedule (a request goes now); a clock stepped backwards is
    detected (``now`` earlier than the last write) and resets the schedule rather than stalling
    every process until the old time comes back. Processes configured with different rates each
    space their own requests by their own interval: give them the same
    ``SEC_REQUESTS_PER_SECOND``. How far ahead slots are reserved is bounded by the callers
    waiting: at most ``SEC_MAX_CONCURRENCY`` per process (the client reserves while holding one
    of its concurrency slots).
    """

    def __init__(
        self,
        schedule: RateSchedule | Path,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number of requests per second: {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1: {burst!r}")
        if isinstance(schedule, Path):
            schedule = FileSchedule(schedule, clock=clock)
        self.schedule = schedule
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self.tau = (burst - 1) * self.interval
        self.clock = clock
        self.sleep = sleep
        self._offset = 0.0  # the store's clock minus ours, as of the last reservation

    # -- the schedule ------------------------------------------------------------------------
    def reserve(self, *, blocking: bool = True) -> float | None:
        """Reserve the next slot (a time on the store's clock, possibly now); None if
        ``blocking`` is false and the store cannot answer without waiting. A blocking call may
        wait for other callers: :meth:`acquire` makes that one in a worker thread."""
        reservation = self.schedule.reserve(self.interval, self.tau, blocking=blocking)
        if reservation is None:
            return None
        self._offset = reservation.now - self.clock()
        return reservation.slot

    async def acquire(self) -> float:
        """Wait for this caller's slot: reserved on the event loop when the store answers at
        once (a free file lock), else in a worker thread; then an async sleep until the slot.
        Returns the slot."""
        slot = self.reserve(blocking=False)
        if slot is None:
            slot = await asyncio.to_thread(self.reserve)
        assert slot is not None
        delay = slot - (self.clock() + self._offset)
        if delay > 0:
            await self.sleep(delay)
        return slot

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        return None

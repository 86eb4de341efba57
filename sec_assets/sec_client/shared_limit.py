"""A rate limit shared by every process on the machine that uses the same ``SEC_DATA_DIR``.

A backfill runs several months at once, one process per month; a per-process limiter would let
N processes send N times ``SEC_REQUESTS_PER_SECOND``. This one (GCRA, its state in
``$SEC_DATA_DIR/state/sec_rate.json`` under an ``flock``) holds their total to the rate.
How it works, and why on one machine only: :class:`SharedRateLimiter`.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

from sec_assets.files import LockTimeout, file_lock

STATE_FILE = "sec_rate.json"
RECORD_BYTES = 256  # the fixed width of the state record (three floats need < 120)
CLOCK_SLACK_S = 1.0  # a clock this much earlier than the last write has been stepped back


class SharedRateLimiter:
    """``await limiter.acquire()`` (or ``async with limiter:``) before each request.

    Design: GCRA (the generic cell rate algorithm) in its scheduling form. The only state is the
    *theoretical arrival time* ``tat`` — when the next request may go if none is early — kept in
    a small file, ``$SEC_DATA_DIR/state/sec_rate.json``. :meth:`SharedRateLimiter.acquire` takes
    an exclusive ``flock`` on that file, reads ``tat``, reserves the slot ``max(now, tat -
    tau)`` for the caller, writes ``max(tat, now) + 1/rate`` back and releases the lock — brief,
    made on the event loop with a non-blocking ``flock`` when the lock is free, else in a worker
    thread, so the loop never waits for another process — and only then sleeps until its slot.
    Callers are served in the order they reserved, across processes, each at least ``1/rate``
    after the previous one (``burst=1``, the default: pure spacing; ``tau`` is ``(burst - 1) /
    rate``). In any one-second window at most ``ceil(rate)`` requests are *scheduled*; a send
    can only be later than its slot (a busy event loop), never earlier, so a measured window may
    hold one or two more when late sends bunch up behind on-time ones.

    Robust by construction: a missing, empty or corrupt file starts a fresh schedule (a request
    goes now). The state is one fixed-width JSON record rewritten in place by a single
    ``pwrite`` under the lock: a reader (always under the lock) sees the old record or the new
    one, and a process killed while holding the lock releases it (the kernel drops the
    ``flock``). The clock is the wall clock, shared by all processes; one stepped backwards is
    detected (``now`` earlier than the last write) and resets the schedule rather than stalling
    every process until the old time comes back. Processes configured with different rates each
    space their own requests by their own interval: give them the same
    ``SEC_REQUESTS_PER_SECOND``. How far ahead slots are reserved is bounded by the callers
    waiting: at most ``SEC_MAX_CONCURRENCY`` per process (the client reserves while holding one
    of its concurrency slots).

    Scope: one machine — the processes that share the directory on a local file system
    (``flock`` on a network file system is not to be trusted). Several machines need ``tat`` in
    a shared store: in Redis, one ``EVAL`` of a short Lua script that reads ``tat``, computes
    the slot and ``SET``s the new value atomically (or the ``redis-cell`` module's
    ``CL.THROTTLE``); in Postgres, a one-row table updated with ``UPDATE … RETURNING`` under its
    row lock. The callers sleep until their slot exactly as here. Not built: one machine polls
    the SEC at any polite rate; see ``docs/scale_out.md``.

    """

    def __init__(
        self,
        path: Path,
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
        self.path = Path(path)
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self.tau = (burst - 1) * self.interval
        self.clock = clock
        self.sleep = sleep

    @classmethod
    def in_dir(cls, state_dir: Path, rate: float, *, burst: int = 1) -> SharedRateLimiter:
        """The limiter that every process with this state directory shares."""
        return cls(Path(state_dir) / STATE_FILE, rate, burst=burst)

    # -- the schedule ------------------------------------------------------------------------
    def reserve(self, *, blocking: bool = True) -> float | None:
        """Reserve the next slot (a ``time.time()`` value, possibly now) under the lock; None
        if ``blocking`` is false and another caller holds the lock. Brief, but a blocking call
        may wait for other callers: :meth:`acquire` makes that one in a worker thread."""
        with ExitStack() as held:
            try:
                fd = held.enter_context(file_lock(self.path, timeout_s=None if blocking else 0))
            except LockTimeout:
                return None
            now = self.clock()
            tat = max(self._read_tat(fd, now), now)
            slot = max(now, tat - self.tau)
            self._write(fd, tat + self.interval, now)
            return slot

    async def acquire(self) -> float:
        """Wait for this caller's slot: reserved on the event loop when the lock is free (the
        usual case), else in a worker thread; then an async sleep until the slot. Returns
        the slot."""
        slot = self.reserve(blocking=False)
        if slot is None:
            slot = await asyncio.to_thread(self.reserve)
        assert slot is not None
        delay = slot - self.clock()
        if delay > 0:
            await self.sleep(delay)
        return slot

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        return None

    # -- persistence -------------------------------------------------------------------------
    def _read_tat(self, fd: int, now: float) -> float:
        """The stored ``tat``; ``now`` (a fresh schedule) if absent, corrupt or written by a
        clock that has since been stepped back."""
        try:
            raw = json.loads(os.pread(fd, RECORD_BYTES, 0))
            tat, written_at = float(raw["tat"]), float(raw["written_at"])
        except (ValueError, TypeError, KeyError):  # empty or corrupt: JSON, shape or numbers
            return now
        if not (math.isfinite(tat) and math.isfinite(written_at)):
            return now
        if now < written_at - CLOCK_SLACK_S:
            return now
        return tat

    def _write(self, fd: int, tat: float, now: float) -> None:
        record = json.dumps({"tat": tat, "written_at": now, "rate": self.rate}).encode()
        os.pwrite(fd, record.ljust(RECORD_BYTES - 1) + b"\n", 0)  # one write, fixed width

"""The cross-process rate limiter: GCRA slots from a file under flock, shared by every limiter
(and every process) on the same path, robust to corrupt state and a clock stepped back."""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sec_assets.sec_client.shared_limit import STATE_FILE, SharedRateLimiter

REPO = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limiter(tmp_path: Path, clock: Clock, rate: float = 10.0, burst: int = 1) -> SharedRateLimiter:
    return SharedRateLimiter(tmp_path / STATE_FILE, rate, burst=burst, clock=clock)


def test_slots_are_spaced_by_the_interval_and_idle_time_is_not_banked(tmp_path: Path) -> None:
    clock = Clock()
    lim = limiter(tmp_path, clock, rate=10)
    t0 = clock.now
    assert [lim.reserve() for _ in range(4)] == pytest.approx([t0, t0 + 0.1, t0 + 0.2, t0 + 0.3])
    clock.now += 60  # idle for a minute: the next request goes now, and only it
    assert [lim.reserve() for _ in range(2)] == pytest.approx([clock.now, clock.now + 0.1])


def test_burst_lets_that_many_go_at_once_then_spaces(tmp_path: Path) -> None:
    clock = Clock()
    lim = limiter(tmp_path, clock, rate=10, burst=3)
    t0 = clock.now
    slots = [lim.reserve() for _ in range(5)]
    assert slots == pytest.approx([t0, t0, t0, t0 + 0.1, t0 + 0.2])


def test_limiters_on_one_path_share_one_schedule(tmp_path: Path) -> None:
    clock = Clock()
    a, b = limiter(tmp_path, clock, rate=4), limiter(tmp_path, clock, rate=4)
    slots = [a.reserve(), b.reserve(), a.reserve(), b.reserve()]
    t0 = clock.now
    assert slots == pytest.approx([t0, t0 + 0.25, t0 + 0.5, t0 + 0.75])
    other = SharedRateLimiter(tmp_path / "elsewhere" / STATE_FILE, 4, clock=clock)
    assert other.reserve() == pytest.approx(t0)  # another directory, another schedule


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty: created but never written
        b"{not json",  # torn or foreign
        b"\xff\xfe\x00garbage",  # not UTF-8
        b"[1, 2, 3]",  # JSON, wrong shape
        b'{"tat": "soon", "written_at": 1}',  # wrong type
        b'{"tat": NaN, "written_at": 1}',  # not finite
        b'{"written_at": 1}',  # missing key
        b'{"tat": 1e300, "written_at": 1e300}',  # far future (written "after" now)
        b"x" * 1000,  # longer than a record
    ],
)
def test_a_corrupt_state_file_starts_a_fresh_schedule(tmp_path: Path, content: bytes) -> None:
    clock = Clock()
    (tmp_path / STATE_FILE).write_bytes(content)
    lim = limiter(tmp_path, clock, rate=10)
    assert lim.reserve() == pytest.approx(clock.now)
    assert lim.reserve() == pytest.approx(clock.now + 0.1)  # and the record is whole again
    state = json.loads((tmp_path / STATE_FILE).read_bytes()[:256])
    assert state["tat"] == pytest.approx(clock.now + 0.2) and state["rate"] == 10


def test_a_clock_stepped_back_resets_instead_of_stalling(tmp_path: Path) -> None:
    clock = Clock()
    lim = limiter(tmp_path, clock, rate=1)
    for _ in range(5):
        lim.reserve()  # tat is now 5 s ahead
    clock.now -= 3600  # NTP steps the clock back an hour
    assert lim.reserve() == pytest.approx(clock.now)
    clock.now -= 0.5  # small jitter below the slack is not a step: the schedule holds
    assert lim.reserve() == pytest.approx(clock.now + 1.5)


@pytest.mark.parametrize("rate", [0, -1, math.inf, math.nan])
def test_rate_must_be_positive_and_finite(tmp_path: Path, rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        SharedRateLimiter(tmp_path / STATE_FILE, rate)


def test_burst_must_be_at_least_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="burst"):
        SharedRateLimiter(tmp_path / STATE_FILE, 1, burst=0)


def test_acquire_sleeps_until_its_slot(tmp_path: Path) -> None:
    clock = Clock()
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    lim = SharedRateLimiter(tmp_path / STATE_FILE, 5, clock=clock, sleep=record)

    async def run() -> None:
        for _ in range(3):
            async with lim:
                pass

    asyncio.run(run())
    assert sleeps == pytest.approx([0.2, 0.4])  # the first goes at once


def test_a_held_lock_is_waited_for_in_a_thread_not_on_the_loop(tmp_path: Path) -> None:
    lim = SharedRateLimiter(tmp_path / STATE_FILE, 1000)
    lim.reserve()  # creates the file
    with open(tmp_path / STATE_FILE, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another process would
        assert lim.reserve(blocking=False) is None

        async def run() -> None:
            waiting = asyncio.create_task(lim.acquire())
            for _ in range(10):  # the loop keeps turning while the waiter waits
                await asyncio.sleep(0.01)
            assert not waiting.done()
            fcntl.flock(held, fcntl.LOCK_UN)  # released: the waiter gets its slot
            await asyncio.wait_for(waiting, 5)

        asyncio.run(run())


WORKER = """
import asyncio, sys, time
from pathlib import Path
from sec_assets.sec_client.shared_limit import SharedRateLimiter

path, rate, n, go = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
lim = SharedRateLimiter(Path(path), rate)
while not go.exists():
    time.sleep(0.002)

async def main():
    async def one():
        slot = await lim.acquire()
        print(repr(slot), repr(time.time()), flush=True)
    await asyncio.gather(*(one() for _ in range(n)))

asyncio.run(main())
"""


def test_processes_on_one_file_share_the_rate(tmp_path: Path) -> None:
    """Three processes, each wanting 25 requests at once, share 50 requests per second. The
    slots reserved across them are spaced by the interval, exactly; so the 75 sends span at
    least 1.48 s (not the 0.48 s of three private limits). A send is never earlier than its
    slot, only later (a process not scheduled at once); a half-second window of slots holds at
    most 25 of them."""
    rate, per_process, procs = 50.0, 25, 3
    go = tmp_path / "go"
    args = [str(tmp_path / STATE_FILE), str(rate), str(per_process), str(go)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(procs)
    ]
    time.sleep(0.5)  # let the interpreters start
    go.touch()
    pairs: list[tuple[float, float]] = []
    for w in workers:
        out, _ = w.communicate(timeout=30)
        assert w.returncode == 0
        pairs += [(float(a), float(b)) for a, b in (line.split() for line in out.splitlines())]
    assert len(pairs) == procs * per_process
    slots = sorted(slot for slot, _ in pairs)
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 / rate - 1e-6
    assert all(sent >= slot - 1e-3 for slot, sent in pairs)  # (wall vs loop clock)
    sends = sorted(sent for _, sent in pairs)
    assert sends[-1] - sends[0] >= (len(sends) - 1) / rate - 0.01
    # The schedule itself never packs more than the rate into a window. (Sends follow their
    # slots, later when a process is not scheduled at once: on a loaded machine several late
    # sends can bunch, which is the scheduler's doing, not the limit's.)
    window = 0.5
    busiest = max(sum(1 for t in slots[i:] if t < s + window) for i, s in enumerate(slots))
    assert busiest <= rate * window + 1

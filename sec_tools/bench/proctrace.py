"""CPU seconds and resident memory of processes, read from ``/proc`` while they run, so that a
run's phases (told apart by its event log's timestamps) can each be given in CPU seconds.

A :class:`Trace` samples every ``interval`` seconds the processes its ``select`` returns; a
phase's CPU is the difference of the samples at its two ends (to within one interval of CPU
each). A process the bench waits for itself gives its exact total through ``os.wait4``.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (field 3)


def cpu_rss(pid: int) -> tuple[float, float] | None:
    """(user + system CPU seconds, resident MB) of a live process, else None."""
    f = _stat(pid)
    if f is None:
        return None
    return (int(f[11]) + int(f[12])) / TICK, int(f[21]) * PAGE_KB / 1024


def started_at(pid: int) -> float | None:
    """The wall-clock time (epoch seconds) the process started."""
    f = _stat(pid)
    if f is None:
        return None
    boot = next(
        float(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime")
    )
    return boot + int(f[19]) / TICK


def descendants(root: int) -> list[int]:
    """Every live process below ``root``."""
    parent: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (f := _stat(int(entry.name))) is not None:
            parent.setdefault(int(f[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        kids = parent.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Samples:
    times: list[float] = field(default_factory=list)  # epoch seconds
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def cpu_at(self, t: float) -> float:
        """CPU seconds used by time ``t`` (the last sample not after it)."""
        i = bisect_right(self.times, t)
        return self.cpu[i - 1] if i else 0.0

    def cpu_between(self, t0: float, t1: float) -> float:
        return self.cpu_at(t1) - self.cpu_at(t0)

    @property
    def peak_rss_mb(self) -> float:
        return max(self.rss_mb, default=0.0)


class Trace:
    """Samples the processes ``select()`` names, in a thread, until :meth:`stop`."""

    def __init__(self, select: Callable[[], list[int]], interval: float = 0.02) -> None:
        self.select, self.interval = select, interval
        self.by_pid: dict[int, Samples] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Trace:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.select():
                got, now = cpu_rss(pid), time.time()
                if got is not None:
                    s = self.by_pid.setdefault(pid, Samples())
                    s.times.append(now)
                    s.cpu.append(got[0])
                    s.rss_mb.append(got[1])
            self._stop.wait(self.interval)


@dataclass(frozen=True)
class Finished:
    """A child process the bench waited for: wall seconds, exact CPU seconds, peak RSS (the
    largest sample)."""

    started: float
    ended: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stderr: str
    stdout: str

    @property
    def wall_s(self) -> float:
        return self.ended - self.started


def run_measured(
    cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[Finished, Samples]:
    """Run ``cmd`` to its end, sampled by a :class:`Trace`; its exact totals from ``wait4``."""
    started = time.time()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with Trace(lambda: [proc.pid]) as trace:
        out, err = _drain(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    samples = trace.by_pid.get(proc.pid, Samples())
    samples.times.append(ended)  # the exact total at the end
    samples.cpu.append(cpu)
    # Sampled, not ru_maxrss: a child's maximum counts the bench's own pages copied by the fork.
    done = Finished(started, ended, cpu, samples.peak_rss_mb, proc.returncode, err, out)
    return done, samples


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Read both pipes to their end without reaping the process (``wait4`` does)."""
    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def read(name: str, pipe: object) -> None:
        chunks[name].append(pipe.read())  # type: ignore[attr-defined]

    readers = [
        threading.Thread(target=read, args=("out", proc.stdout)),
        threading.Thread(target=read, args=("err", proc.stderr)),
    ]
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    return "".join(chunks["out"]), "".join(chunks["err"])

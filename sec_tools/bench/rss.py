"""Peak resident memory, measured by the bench from outside the code it runs: this process's
own peak (Linux ``VmHWM``), and the peak of the largest child it has reaped (the silver load's
parser process)."""

from __future__ import annotations

import resource
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux VmHWM; else getrusage's maximum)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children() -> list[str]:
    """The process ids of this process's live (or not yet reaped) children, all threads'."""
    try:
        tasks = list(Path("/proc/self/task").iterdir())
    except OSError:
        return []
    out: list[str] = []
    for task in tasks:
        try:
            out += (task / "children").read_text().split()
        except OSError:
            continue
    return out


def children_peak_rss_mb(*, wait_s: float = 60.0) -> float:
    """The peak resident memory of the largest child this process has reaped, once its
    children are gone (the parser process is reaped in the background when a ranged load
    ends: wait up to ``wait_s`` for it). 0 when no child has ended."""
    deadline = time.monotonic() + wait_s
    while _children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

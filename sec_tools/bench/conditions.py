"""The conditions a figure was taken in: CPU seconds beside the wall time, and the machine's
load (1-minute average) at the start and the end. Wall time on a shared machine moves with
the load; CPU seconds are what the code controls."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def load() -> float:
    """The machine's 1-minute load average."""
    return round(os.getloadavg()[0], 2)


def cpu_s() -> float:
    """CPU seconds (user + sys) of this process and of the children it has reaped."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@contextmanager
def measured() -> Iterator[dict[str, Any]]:
    """Fills the dict it yields, at the end of the block: ``wall_s``, ``cpu_s`` (this
    process and its reaped children), ``load_start`` and ``load_end``."""
    got: dict[str, Any] = {"load_start": load()}
    t0, c0 = time.perf_counter(), cpu_s()
    yield got
    got.update(
        wall_s=round(time.perf_counter() - t0, 3), cpu_s=round(cpu_s() - c0, 2), load_end=load()
    )


def loads(d: dict[str, Any]) -> str:
    """``a → b``: the load at a figure's start and end (— when not recorded)."""
    if "load_start" not in d:
        return "—"
    return f"{d['load_start']:.1f} → {d['load_end']:.1f}"

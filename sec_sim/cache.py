"""Built months, cached per (master data, seed) for the whole process."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sec_sim.master import MasterData
from sec_sim.table import MonthTable, build_month
from sec_sim.timeutil import hour_dt


class MonthCache:
    """Thread-safe LRU of built months for one (master data, seed)."""

    def __init__(self, master: MasterData, seed: int, size: int = 6) -> None:
        self.master = master
        self.seed = seed
        self._size = size
        self._months: OrderedDict[tuple[int, int], MonthTable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, year: int, month: int) -> MonthTable:
        key = (year, month)
        with self._lock:
            if key in self._months:
                self._months.move_to_end(key)
                return self._months[key]
            table = build_month(self.master, self.seed, year, month)
            self._months[key] = table
            while len(self._months) > self._size:
                self._months.popitem(last=False)
            return table

    def for_hour(self, hour: int) -> MonthTable:
        moment = hour_dt(hour)
        return self.get(moment.year, moment.month)


_shared: dict[tuple[int, int], MonthCache] = {}
_shared_lock = threading.Lock()


def shared_cache(master: MasterData, seed: int) -> MonthCache:
    """One month cache per (master data, seed) for the whole process (servers and truth)."""
    with _shared_lock:
        return _shared.setdefault((id(master), seed), MonthCache(master, seed))

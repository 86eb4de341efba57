"""One true outage: where, which company, when, and how many customers at each hour."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import NamedTuple

from sec_sim.timeutil import EPOCH

# No outage lasts longer than this, so an hour only needs its own and the previous month.
MAX_OUTAGE_HOURS = 240


class Outage(NamedTuple):
    outage_id: str
    comuna_idx: int
    empresa_id: str
    start: datetime  # local naive, inside the hour before ``first_hour``
    end: datetime  # local naive, inside the hour after the last observed one
    first_hour: int  # first hour index (snapshot) at which the outage is seen
    profile: tuple[int, ...]  # customers affected at first_hour, first_hour + 1, ...
    cause: str  # "background" or "storm"
    storm_id: str | None = None

    @property
    def last_hour(self) -> int:
        return self.first_hour + len(self.profile) - 1

    def scaled(self, factor: float, cap: int) -> Outage:
        values = tuple(max(1, min(cap, round(v * factor))) for v in self.profile)
        return self._replace(profile=values)


def build_profile(
    rng: random.Random, hours: int, peak: int, restore_prob: float = 0.55
) -> tuple[int, ...]:
    """Rise to ``peak`` in 1-2 hours, then hold or restore part of the customers each hour
    (with probability ``restore_prob``; storms restore more slowly)."""
    if hours <= 1 or peak <= 1:
        return (peak,) * max(1, hours)
    values: list[int] = []
    if hours >= 3 and rng.random() < 0.5:
        values.append(max(1, round(peak * rng.uniform(0.3, 0.8))))
    values.append(peak)
    current = peak
    while len(values) < hours:
        if current > 1 and rng.random() < restore_prob:
            current = max(1, round(current * rng.uniform(0.25, 0.85)))
        values.append(current)
    return tuple(values)


def make_outage(
    rng: random.Random,
    outage_id: str,
    start_hour: int,
    comuna_idx: int,
    empresa_id: str,
    peak: int,
    hours: int,
    cause: str,
    storm_id: str | None = None,
    restore_prob: float = 0.55,
) -> Outage:
    """An outage that starts inside ``start_hour`` and is seen at the next ``hours`` hours."""
    hours = max(1, min(MAX_OUTAGE_HOURS - 2, hours))
    start = EPOCH + timedelta(minutes=start_hour * 60 + 1 + int(rng.random() * 59))
    end = EPOCH + timedelta(minutes=(start_hour + hours) * 60 + 1 + int(rng.random() * 59))
    return Outage(
        outage_id=outage_id,
        comuna_idx=comuna_idx,
        empresa_id=empresa_id,
        start=start,
        end=end,
        first_hour=start_hour + 1,
        profile=build_profile(rng, hours, max(1, peak), restore_prob),
        cause=cause,
        storm_id=storm_id,
    )

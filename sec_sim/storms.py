"""Storms: a few a year (more in austral winter), each hitting one or several neighbouring
regions for one to two days, hundreds of thousands of customers at the peak.

The national windstorm of 2024-08-02 is forced: it peaks near the real 1,176,268 customers at
12:00 local time (the real answer of that hour listed 299 comunas).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from sec_sim.master import REGION_ORDER_NORTH_SOUTH, MasterData
from sec_sim.outages import Outage, make_outage
from sec_sim.rand import lognormal_int, poisson, rng_for, weighted_pick
from sec_sim.timeutil import hour_index, is_nonexistent, month_hours


@dataclass(frozen=True)
class StormPlan:
    storm_id: str
    onset_hour: int  # outages start within [onset_hour, onset_hour + window_h)
    window_h: int
    mode_h: float  # most outages start around onset_hour + mode_h
    region_weights: dict[int, float]  # share of the peak customers by region
    peak_customers: int  # the storm's own customers at its peak (or at peak_hour)
    peak_hour: int | None = None
    hit_prob: float = 0.8  # chance that a comuna of an affected region is hit
    hours_median: float = 10.0


# Customers by region in the real answer of 2024-08-02 12:00 (fixtures/sec_real).
_WINDSTORM_2024_REGIONS = {
    13: 716423,
    9: 103138,
    6: 91327,
    8: 84524,
    5: 50447,
    14: 39700,
    10: 30870,
    7: 30449,
    16: 22010,
    4: 7111,
}
# The background adds ~10-20k customers on a winter noon; the storm brings the rest.
_BACKGROUND_AT_NOON = 15_000

FORCED_STORMS: tuple[StormPlan, ...] = (
    StormPlan(
        storm_id="S20240802-WIND",
        onset_hour=hour_index(datetime(2024, 8, 2, 0)),
        window_h=14,
        mode_h=10.0,
        region_weights={k: float(v) for k, v in _WINDSTORM_2024_REGIONS.items()},
        peak_customers=1_176_268 - _BACKGROUND_AT_NOON,
        peak_hour=hour_index(datetime(2024, 8, 2, 12)),
        hit_prob=0.97,
        hours_median=16.0,
    ),
)

STORMS_PER_MONTH: dict[int, float] = {
    1: 0.1,
    2: 0.1,
    3: 0.15,
    4: 0.3,
    5: 0.6,
    6: 0.75,
    7: 0.75,
    8: 0.6,
    9: 0.3,
    10: 0.15,
    11: 0.1,
    12: 0.1,
}
# Where storms are centred: the central and southern regions.
_CENTER_WEIGHTS: dict[int, float] = {
    4: 0.3,
    5: 1.0,
    13: 1.2,
    6: 1.0,
    7: 1.0,
    16: 1.0,
    8: 1.5,
    9: 1.5,
    14: 1.2,
    10: 1.5,
    11: 0.3,
    12: 0.2,
}
_FORCED_QUIET_HOURS = 4 * 24  # no random storm this close to a forced one
STORM_RESTORE_PROB = 0.3  # crews are overwhelmed: restoration is slower than on a normal day


def _random_plan(rng: random.Random, master: MasterData, storm_id: str, onset: int) -> StormPlan:
    centers = list(_CENTER_WEIGHTS)
    center = rng.choices(centers, weights=[_CENTER_WEIGHTS[c] for c in centers])[0]
    span = rng.choice((1, 1, 2, 2, 3, 4))
    pos = REGION_ORDER_NORTH_SOUTH.index(center)
    lo = max(0, min(pos - rng.randint(0, span - 1), len(REGION_ORDER_NORTH_SOUTH) - span))
    regions = REGION_ORDER_NORTH_SOUTH[lo : lo + span]
    weights = {
        r: master.regions[r].clientes
        * rng.uniform(0.04, 0.15)
        * 0.6 ** abs(REGION_ORDER_NORTH_SOUTH.index(r) - pos)
        for r in regions
        if r in master.regions
    }
    ceiling = int(0.35 * sum(master.regions[r].clientes for r in weights))
    window = rng.randint(12, 30)
    return StormPlan(
        storm_id=storm_id,
        onset_hour=onset,
        window_h=window,
        mode_h=window * rng.uniform(0.3, 0.6),
        region_weights=weights,
        peak_customers=min(ceiling, lognormal_int(rng, 220_000, 0.6, 60_000, 900_000)),
        hit_prob=rng.uniform(0.5, 0.9),
        hours_median=rng.uniform(6.0, 12.0),
    )


def storm_plans(master: MasterData, seed: int, year: int, month: int) -> list[StormPlan]:
    """The storms whose onset falls in the month: forced ones, then random ones."""
    first, end = month_hours(year, month)
    forced = [p for p in FORCED_STORMS if first <= p.onset_hour < end]
    rng = rng_for(seed, "storms", f"{year}-{month:02d}")
    plans = list(forced)
    for i in range(poisson(rng, STORMS_PER_MONTH[month])):
        onset = rng.randrange(first, end)
        plan = _random_plan(rng, master, f"S{year}{month:02d}-{i + 1:02d}", onset)
        if all(abs(onset - p.onset_hour) > _FORCED_QUIET_HOURS for p in FORCED_STORMS):
            plans.append(plan)
    return plans


def _comuna_targets(rng: random.Random, master: MasterData, plan: StormPlan) -> dict[int, float]:
    total_weight = sum(plan.region_weights.values())
    targets: dict[int, float] = {}
    for region, weight in plan.region_weights.items():
        comunas = master.comunas_of(region)
        hit = [c for c in comunas if rng.random() < plan.hit_prob]
        if not hit and comunas:
            hit = [max(comunas, key=lambda c: c.clientes)]
        scores = [c.clientes * math.exp(rng.gauss(0.0, 0.7)) for c in hit]
        region_target = plan.peak_customers * weight / total_weight
        for comuna, score in zip(hit, scores, strict=True):
            targets[comuna.idx] = region_target * score / sum(scores)
    return targets


def storm_outages(master: MasterData, seed: int, plan: StormPlan) -> list[Outage]:
    """The outages of one storm, scaled so that the storm's peak is ``plan.peak_customers``."""
    rng = rng_for(seed, "storm", plan.storm_id)
    outages: list[Outage] = []
    for idx, target in _comuna_targets(rng, master, plan).items():
        comuna = master.comunas[idx]
        count = 1 + poisson(rng, min(10.0, math.log1p(target / 300.0)))
        shares = [rng.gammavariate(1.0, 1.0) for _ in range(count)]
        for share in shares:
            start = plan.onset_hour + int(rng.triangular(0, plan.window_h, plan.mode_h))
            while is_nonexistent(start):
                start += 1
            outages.append(
                make_outage(
                    rng,
                    f"{plan.storm_id}-{len(outages):05d}",
                    start,
                    idx,
                    weighted_pick(rng, master.comuna_empresas[comuna.cut]),
                    max(1, round(1.3 * target * share / sum(shares))),
                    lognormal_int(rng, plan.hours_median, 0.8, 1, 168),
                    "storm",
                    plan.storm_id,
                    restore_prob=STORM_RESTORE_PROB,
                )
            )
    return _calibrate(master, plan, outages)


def _calibrate(master: MasterData, plan: StormPlan, outages: list[Outage]) -> list[Outage]:
    totals: dict[int, int] = {}
    for o in outages:
        for i, value in enumerate(o.profile):
            totals[o.first_hour + i] = totals.get(o.first_hour + i, 0) + value
    if not totals:
        return outages
    reference = totals.get(plan.peak_hour, 0) if plan.peak_hour is not None else 0
    reference = reference or max(totals.values())
    factor = plan.peak_customers / reference
    return [
        o.scaled(factor, max(1, int(0.9 * master.comunas[o.comuna_idx].clientes))) for o in outages
    ]

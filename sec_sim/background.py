"""Background outages: the everyday faults, a Poisson process with daily and seasonal rhythm."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

from sec_sim.master import MasterData
from sec_sim.outages import Outage, make_outage
from sec_sim.params import (
    COMUNA_EXPONENT,
    DAILY,
    DAY_SIGMA,
    REGION_FACTOR,
    SEASONAL,
    TIERS,
    Tier,
)
from sec_sim.rand import lognormal_int, poisson, rng_for, weighted_pick
from sec_sim.timeutil import hour_dt, is_nonexistent, month_hours


@lru_cache(maxsize=4)
def comuna_cum_weights(master: MasterData) -> tuple[float, ...]:
    """Cumulative pick weights: customers**exponent times the region's proneness."""
    weights = (
        (c.clientes**COMUNA_EXPONENT) * REGION_FACTOR.get(c.cut_region, 1.0) for c in master.comunas
    )
    return tuple(itertools.accumulate(weights))


def _day_factors(seed: int, year: int, month: int) -> dict[int, float]:
    rng = rng_for(seed, "days", f"{year}-{month:02d}")
    return {day: math.exp(rng.gauss(0.0, DAY_SIGMA)) for day in range(1, 32)}


def _size(rng, tier: Tier, clientes: int) -> int:
    cap = max(tier.customers_min, min(tier.customers_max, int(clientes * tier.max_share_of_comuna)))
    return lognormal_int(rng, tier.customers_median, tier.customers_sigma, tier.customers_min, cap)


def background_outages(master: MasterData, seed: int, year: int, month: int) -> list[Outage]:
    """Every background outage that starts in the month (deterministic in seed and month)."""
    rng = rng_for(seed, "background", f"{year}-{month:02d}")
    days = _day_factors(seed, year, month)
    cum = comuna_cum_weights(master)
    population = range(len(master.comunas))
    prefix = f"B{year}{month:02d}-"
    outages: list[Outage] = []
    first, end = month_hours(year, month)
    for hour in range(first, end):
        if is_nonexistent(hour):
            continue
        moment = hour_dt(hour)
        intensity = DAILY[moment.hour] * SEASONAL[month] * days[moment.day]
        for tier in TIERS:
            count = poisson(rng, tier.rate_per_hour * intensity)
            if not count:
                continue
            for idx in rng.choices(population, cum_weights=cum, k=count):
                comuna = master.comunas[idx]
                empresa = weighted_pick(rng, master.comuna_empresas[comuna.cut])
                hours = lognormal_int(rng, tier.hours_median, tier.hours_sigma, 1, tier.hours_max)
                outages.append(
                    make_outage(
                        rng,
                        f"{prefix}{len(outages):06d}",
                        hour,
                        idx,
                        empresa,
                        _size(rng, tier, comuna.clientes),
                        hours,
                        "background",
                    )
                )
    return outages

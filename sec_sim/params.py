"""Calibration of the synthetic outage process (rates, sizes, durations, rhythms).

Tuned so that a quiet hour looks like the real 2026 answers (100-200 comunas listed, a few
thousand to ~15k customers, most rows with a handful of customers) and a winter afternoon is
busier. Storms are in :mod:`sec_sim.storms`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    """A family of background outages: arrivals per hour nationally, size and duration."""

    name: str
    rate_per_hour: float
    customers_median: float
    customers_sigma: float
    customers_min: int
    customers_max: int
    max_share_of_comuna: float
    hours_median: float
    hours_sigma: float
    hours_max: int


TIERS: tuple[Tier, ...] = (
    # Single customers or a transformer: few customers, slow to be attended.
    Tier("micro", 26.0, 2.0, 0.9, 1, 40, 0.05, 4.0, 0.8, 96),
    Tier("small", 5.0, 80.0, 0.9, 10, 800, 0.3, 2.5, 0.6, 48),
    Tier("medium", 1.4, 900.0, 0.6, 300, 6000, 0.4, 2.0, 0.5, 24),
    # A feeder or substation trip.
    Tier("large", 0.16, 7000.0, 0.5, 3000, 30000, 0.6, 1.8, 0.5, 18),
)

# Multiplier by local hour of day (mean 1): quiet nights, busy afternoons and evenings.
DAILY: tuple[float, ...] = (
    0.85,
    0.75,
    0.65,
    0.6,
    0.6,
    0.65,
    0.75,
    0.85,
    0.95,
    1.0,
    1.05,
    1.1,
    1.15,
    1.2,
    1.3,
    1.35,
    1.4,
    1.4,
    1.35,
    1.3,
    1.2,
    1.1,
    1.0,
    0.9,
)

# Multiplier by calendar month: austral winter (May-August) is the stormy season.
SEASONAL: dict[int, float] = {
    1: 0.85,
    2: 0.8,
    3: 0.85,
    4: 1.0,
    5: 1.25,
    6: 1.45,
    7: 1.5,
    8: 1.35,
    9: 1.05,
    10: 0.95,
    11: 0.85,
    12: 0.85,
}

# Day-to-day weather noise: each day's rates are multiplied by exp(N(0, DAY_SIGMA)).
DAY_SIGMA = 0.3

# Outage-proneness by region (rural south is worse), on top of customers**COMUNA_EXPONENT.
REGION_FACTOR: dict[int, float] = {
    15: 0.5,
    1: 0.5,
    2: 0.5,
    3: 0.6,
    4: 0.7,
    5: 0.5,
    13: 1.0,
    6: 0.8,
    7: 1.2,
    16: 1.0,
    8: 0.6,
    9: 2.2,
    14: 1.8,
    10: 1.8,
    11: 0.8,
    12: 0.4,
}
COMUNA_EXPONENT = 0.5

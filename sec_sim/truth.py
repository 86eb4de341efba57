"""Ground truth: the outages behind any month, and the exact hourly numbers the server answers.

``truth_hourly`` is what ``GetPorFecha`` answers before faults and quirks (no stray empty row,
no preliminary revisions, no known gap), summed per hour x comuna x company. The September
hour skipped by daylight saving time is absent. ``truth_events`` lists every outage whose
``[start, end)`` overlaps the month, with its totals over its whole life, so an outage that
crosses a month boundary has the same row in both months.
"""

from __future__ import annotations

import polars as pl

from sec_sim.cache import shared_cache
from sec_sim.master import MasterData, load_master
from sec_sim.table import MonthTable
from sec_sim.timeutil import parse_month

DEFAULT_SEED = 42


def month_table(
    month: str, seed: int = DEFAULT_SEED, master: MasterData | None = None
) -> MonthTable:
    """The cached answer table of a month ("YYYY-MM")."""
    year, mon = parse_month(month)
    return shared_cache(master or load_master(), seed).get(year, mon)


def truth_events(
    month: str, seed: int = DEFAULT_SEED, master: MasterData | None = None
) -> pl.DataFrame:
    """One row per true outage overlapping the month.

    Columns: outage_id, cut_comuna, cut_region, empresa_id, start, end (local naive),
    first_hour, last_hour (the first and last hourly snapshot that shows it), peak_customers,
    customer_hours (sum over its hourly snapshots), cause ("background" or "storm"), storm_id.
    """
    return month_table(month, seed, master).events


def truth_hourly(
    month: str, seed: int = DEFAULT_SEED, master: MasterData | None = None
) -> pl.DataFrame:
    """Customers affected per hour x comuna x company: hour, cut_comuna, cut_region,
    empresa_id, customers (only rows with customers > 0)."""
    return month_table(month, seed, master).hourly

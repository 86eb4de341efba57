"""IEEE 1366 2.5β major event days: each day's threshold comes from the region's days with
SAIDI > 0 of the five years before it, nothing else (tables of cases against a reference
computed by hand), a quiet history flags none and a storm day is flagged."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from sec_assets.gold.med import MIN_BASIS_DAYS, major_event_days

D = date(2024, 8, 2)  # the day under test
FIVE_YEARS_BEFORE = date(2019, 8, 2)  # the window's first day: [D - 5 years, D)


def quiet(first: date, days: int, region: int = 13) -> list[tuple[int, date, float]]:
    """A stationary history: SAIDI between 0.8 and 1.2 h per customer, every day."""
    return [(region, first + timedelta(i), 1.0 + 0.2 * math.sin(i * 1.7)) for i in range(days)]


def frame(rows: list[tuple[int, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["cut_region", "dia", "saidi"], orient="row")


def reference(rows: list[tuple[int, date, float]], region: int, day: date) -> float | None:
    """T_MED by the standard's words, day by day."""
    logs = [
        math.log(s)
        for r, d, s in rows
        if r == region and FIVE_YEARS_BEFORE <= d < day and s > 0 and day == D
    ]
    if len(logs) < MIN_BASIS_DAYS:
        return None
    mean = sum(logs) / len(logs)
    std = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
    return math.exp(mean + 2.5 * std)


def threshold(rows: list[tuple[int, date, float]], region: int = 13) -> float | None:
    """D's threshold (D gets an ordinary day when ``rows`` has none)."""
    if not any(r == region and d == D for r, d, _ in rows):
        rows = [*rows, (region, D, 1.0)]
    out = major_event_days(frame(rows)).filter(pl.col("cut_region") == region, pl.col("dia") == D)
    return out["t_med"].item()


HISTORY = quiet(D - timedelta(90), 90)
# Each case: extra rows added to the 90 quiet days before D, and whether they move D's threshold.
CASES = [
    ("a later day is ignored", [(13, D + timedelta(1), 500.0)], False),
    (
        "a day older than five years is ignored",
        [(13, FIVE_YEARS_BEFORE - timedelta(1), 500.0)],
        False,
    ),
    ("the window's first day counts", [(13, FIVE_YEARS_BEFORE, 500.0)], True),
    ("the day itself is not in its own threshold", [(13, D, 500.0)], False),
    ("a day with SAIDI 0 is not in the statistics", [(13, D - timedelta(100), 0.0)], False),
    ("another region's day is ignored", [(5, D - timedelta(1), 500.0)], False),
    ("a storm inside the window raises the threshold", [(13, D - timedelta(200), 500.0)], True),
]


@pytest.mark.parametrize(("case", "extra", "moves"), CASES, ids=[c[0] for c in CASES])
def test_a_days_threshold_uses_the_five_years_before_it_only(
    case: str, extra: list[tuple[int, date, float]], moves: bool
) -> None:
    base = threshold(HISTORY)
    rows = HISTORY + extra
    got = threshold(rows)
    assert base is not None and got is not None
    assert got == pytest.approx(reference(rows, 13, D), rel=1e-9), case
    assert (got != pytest.approx(base, rel=1e-9)) is moves, case


def test_the_basis_counts_days_with_saidi_in_the_window() -> None:
    old = (13, FIVE_YEARS_BEFORE - timedelta(1), 1.0)
    rows = [*HISTORY, (13, D - timedelta(100), 0.0), old, (13, D, 1.0)]
    out = major_event_days(frame(rows)).filter(pl.col("dia") == D)
    assert out["med_basis_days"].item() == 90


def test_without_enough_days_there_is_no_threshold_and_no_major_event() -> None:
    rows = [*quiet(D - timedelta(MIN_BASIS_DAYS - 1), MIN_BASIS_DAYS - 1), (13, D, 500.0)]
    out = major_event_days(frame(rows)).filter(pl.col("dia") == D)
    assert out["med_basis_days"].item() == MIN_BASIS_DAYS - 1
    assert out["t_med"].item() is None and out["med"].item() is False


def test_a_quiet_history_flags_no_day() -> None:
    rows = quiet(date(2021, 1, 1), 3 * 365) + quiet(date(2021, 1, 1), 3 * 365, region=5)
    out = major_event_days(frame(rows))
    assert out.filter(pl.col("t_med").is_not_null()).height > 2000  # classified, not skipped
    assert out["med"].sum() == 0


def test_a_storm_day_is_flagged_and_only_it() -> None:
    rows = [*quiet(D - timedelta(365), 365), (13, D, 40.0), *quiet(D + timedelta(1), 30)]
    out = major_event_days(frame(rows))
    assert out.filter(pl.col("med"))["dia"].to_list() == [D]

"""A month's cadence comes from its data (silver/cadence.py), and customer-hours weigh each
sample by the hours it stands for (silver/events.py), checked against the simulator's truth."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from sec_assets.month import Month
from sec_assets.silver.bronze_reader import MonthAnswers, hours_schema, raw_schema
from sec_assets.silver.cadence import source_grid
from sec_assets.silver.events import reconstruct_events
from sec_assets.silver.transform import build_month
from sec_sim import truth_hourly

NOW = datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMERS = pl.DataFrame({"cut_region": [13], "customers": [1000]})


@pytest.mark.parametrize(
    ("hours", "days", "grid"),
    [
        ([0, 6, 12, 18], 30, {0, 6, 12, 18}),  # the seed's archives
        (list(range(24)), 30, set(range(24))),  # fetched hourly
        ([3, 9, 15, 21], 30, {3, 9, 15, 21}),  # another phase
        ([0, 12], 30, {0, 12}),
        ([0, 6, 12, 18], 1, None),  # one day: too little to tell, the setting decides
        ([0, 1, 2, 3], 1, None),  # a run that stopped early on its first day
    ],
)
def test_a_source_grid_is_the_sparsest_regular_grid_it_fills(hours, days, grid) -> None:
    hod = pl.Series([h for _ in range(days) for h in hours])
    day = pl.Series([d for d in range(days) for _ in hours])
    assert source_grid(hod, day) == (None if grid is None else frozenset(grid))


def test_a_few_off_grid_hours_do_not_make_a_month_hourly() -> None:
    hod = pl.Series([0, 6, 12, 18] * 30 + [7])
    day = pl.Series([d for d in range(30) for _ in range(4)] + [3])
    assert source_grid(hod, day) == frozenset({0, 6, 12, 18})


def _answers(keys: dict[str, str]) -> MonthAnswers:
    """Empty answers (nobody without power) for ``keys`` → source."""
    hours = pl.DataFrame(
        {
            "hour_key": list(keys),
            "outcome": "empty",
            "versions": 1,
            "attempts": 1,
            "fetched_at": NOW,
            "error": None,
            "source_file": "x",
            "source": list(keys.values()),
        },
        schema=hours_schema(),
    )
    eras = pl.DataFrame(
        {"hour_key": list(keys), "era": "empty", "fingerprint": "f", "rows_raw": 0},
        schema={"hour_key": pl.Utf8, "era": pl.Utf8, "fingerprint": pl.Utf8, "rows_raw": pl.Int32},
    ).with_columns(pl.lit(0, pl.Int64).alias("customers_raw"))
    rows = pl.DataFrame(schema={**raw_schema(), "hour_key": pl.Utf8, "era": pl.Utf8})
    return MonthAnswers(rows, hours, eras, None)


def test_the_ledger_expects_each_day_at_the_cadence_of_its_source() -> None:
    """August 2024: days 1–10 imported at 4 a day, the rest fetched hourly; the setting says 24.
    A ledger at the setting's cadence would expect 24 hours every day (20 'missing' a day for
    the imported days)."""
    keys = {}
    for h in Month(2024, 8).hours():
        if h.day.day <= 10 and h.hour % 6 == 0:
            keys[h.key] = "imported"
        elif h.day.day > 10:
            keys[h.key] = "fetched"
    out = build_month(_answers(keys), CUSTOMERS, month=Month(2024, 8), now=NOW)
    assert out.ledger.height == 10 * 4 + 21 * 24
    assert out.ledger.filter(pl.col("status") == "missing").is_empty()
    cadence = out.cadence.select("source", "hours_per_day", "hours_represented", "days", "hours")
    assert sorted(cadence.rows()) == [("fetched", 24, 1.0, 21, 504), ("imported", 4, 6.0, 10, 40)]


def test_a_day_without_answers_is_expected_at_the_month_cadence() -> None:
    keys = {h.key: "imported" for h in Month(2024, 8).hours() if h.hour % 6 == 0 and h.day.day != 5}
    out = build_month(_answers(keys), CUSTOMERS, month=Month(2024, 8), now=NOW)
    missing = out.ledger.filter(pl.col("status") == "missing")["hour_key"].to_list()
    assert missing == ["2024-08-05T00", "2024-08-05T06", "2024-08-05T12", "2024-08-05T18"]


def _region_hours(truth: pl.DataFrame, phase: int | None) -> pl.DataFrame:
    """Customer-hours per region reconstructed from the truth sampled every 6 hours from
    ``phase`` (every hour when None)."""
    hourly = truth.group_by("cut_comuna", "hour").agg(pl.col("customers").sum())
    hours = pl.datetime_range(truth["hour"].min(), truth["hour"].max(), "1h", eager=True)
    ledger = pl.DataFrame({"hora_local": hours, "status": "ok"})
    if phase is not None:
        ledger = ledger.filter(pl.col("hora_local").dt.hour() % 6 == phase)
    facts = hourly.select(
        pl.col("hour").alias("hora_local"),
        pl.col("cut_comuna").cast(pl.Int32).alias("geografia_id"),
        pl.lit("all").alias("empresa_id"),
        pl.col("customers").alias("clientes_afectados"),
    ).join(ledger.select("hora_local"), on="hora_local", how="semi")
    events = reconstruct_events(facts, ledger)
    return events.group_by((pl.col("geografia_id") // 1000).alias("cut_region")).agg(
        pl.col("customer_hours").sum()
    )


def test_customer_hours_at_4_a_day_are_unbiased_against_the_simulator_truth() -> None:
    """Over the six phases a 4-a-day collector may have, the mean of each region's
    customer-hours is its true value (what an hourly observer sums): the estimator adds no bias,
    only the sampling's spread. Counting the last sample of an episode 3 h instead of 6 h makes
    it 27 % low over the country in this month."""
    truth = truth_hourly("2025-02", seed=42).filter(pl.col("hour").dt.month() == 2)
    true = truth.group_by("cut_region").agg(pl.col("customers").sum().cast(pl.Float64))
    assert _region_hours(truth, None).sort("cut_region")["customer_hours"].to_list() == (
        true.sort("cut_region")["customers"].to_list()
    )
    phases = pl.concat([_region_hours(truth, k) for k in range(6)])
    mean = phases.group_by("cut_region").agg(pl.col("customer_hours").sum() / 6)
    both = true.join(mean, on="cut_region")
    rel = (both["customer_hours"] - both["customers"]) / both["customers"]
    assert rel.abs().max() < 0.02, rel.to_list()
    assert abs(both["customer_hours"].sum() / both["customers"].sum() - 1) < 0.005

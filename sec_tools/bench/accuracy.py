"""Reconstruction accuracy against the simulator's ground truth, at hourly sampling and at 4
samples a day (the cadence earlier collectors used), for a storm month and a quiet month.
The 4-a-day figures come from the same hourly bronze with only hours 00, 06, 12, 18 expected,
which is what a 4-a-day collector would have stored."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from sec_assets.bronze.store import BronzeStore
from sec_assets.masterdata import regions
from sec_assets.silver.bronze_reader import read_month
from sec_assets.silver.events import reconstruct_events
from sec_assets.silver.transform import build_month
from sec_sim import truth_events, truth_hourly
from sec_tools.accuracy import measure
from sec_tools.bench.bronze import months_between


def month_accuracy(data: Path, month: date, per_day: int, seed: int) -> dict[str, object]:
    key = month.strftime("%Y-%m")
    answers = read_month(BronzeStore(data / "bronze", "sec_snapshots"), key)
    caps = regions().select("cut_region", pl.col("clientes").alias("customers"))
    silver = build_month(answers, caps, month_start=month, hours_per_day=per_day)
    events = reconstruct_events(silver.facts, silver.ledger)
    nxt = months_between(month, 2)[1]
    start, end = datetime(month.year, month.month, 1), datetime(nxt.year, nxt.month, 1)
    result = measure(
        events, truth_events(key, seed=seed), truth_hourly(key, seed=seed), start=start, end=end
    )
    return {"month": key, "samples_per_day": per_day, **result}


def bench_accuracy(data: Path, months: list[date], seed: int) -> list[dict[str, object]]:
    return [month_accuracy(data, m, per_day, seed) for m in months for per_day in (24, 4)]

"""Reconstruction accuracy against the simulator's ground truth, at each cadence of
:data:`CADENCES` (24 a day fetched; 4 a day, the seed's archives), for a storm month and a quiet
month. A sparse cadence's bronze is the hourly bronze with only its hours of the day kept —
what a collector at that cadence (or the seed's archives) stores — and silver reads the cadence
from it, as it does from any month. The figures at 4 a day are the ones shipped in
``sec_assets/seeds/cadence_error.csv`` (what sparse months carry in gold, ``docs/cadence.md``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sec_assets.bronze.store import BronzeStore
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.silver.bronze_reader import MonthAnswers, read_month
from sec_assets.silver.events import reconstruct_events
from sec_assets.silver.transform import build_month
from sec_sim import truth_events, truth_hourly
from sec_tools.accuracy import measure

CADENCES = (24, 4)


def subsample(answers: MonthAnswers, per_day: int) -> MonthAnswers:
    """``answers`` with only the hours of the day a collector at ``per_day`` samples."""
    step = 24 // per_day

    def keep(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("hour_key").str.slice(11, 2).cast(pl.Int32) % step == 0)

    return MonthAnswers(
        keep(answers.rows), keep(answers.hours), keep(answers.eras), answers.server_time
    )


def month_accuracy(data: Path, month: Month, per_day: int, seed: int) -> dict[str, object]:
    key = month.label
    answers = subsample(read_month(BronzeStore(data / "bronze", "sec_snapshots"), key), per_day)
    caps = regions().select("cut_region", pl.col("clientes").alias("customers"))
    silver = build_month(answers, caps, month=month)
    cadence = silver.cadence.filter(pl.col("source") != "none")["hours_per_day"].unique()
    events = reconstruct_events(silver.facts, silver.ledger)
    start, end = month.local_start, month.next().local_start
    result = measure(
        events, truth_events(key, seed=seed), truth_hourly(key, seed=seed), start=start, end=end
    )
    return {"month": key, "samples_per_day": per_day, "read_cadence": cadence.to_list(), **result}


def bench_accuracy(data: Path, months: list[Month], seed: int) -> list[dict[str, object]]:
    return [month_accuracy(data, m, per_day, seed) for m in months for per_day in CADENCES]


def cadence_table(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Per cadence, over the months measured: what ``sec_assets/seeds/cadence_error.csv``
    ships (mean of the monthly mean errors, the worst region-month, mean bias and peak ratio)."""
    frame = pl.DataFrame(rows)
    return (
        frame.group_by(pl.col("samples_per_day").cast(pl.Int32).alias("hours_per_day"))
        .agg(
            pl.col("customer_hours_region_mean_abs_rel_error").mean(),
            pl.col("customer_hours_region_max_abs_rel_error").max(),
            pl.col("customer_hours_region_mean_rel_error").mean(),
            pl.col("peak_sum_ratio").mean(),
            pl.col("month").sort().str.join(" ").alias("months_measured"),
        )
        .with_columns(pl.selectors.float().round(4))
        .sort("hours_per_day", descending=True)
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m sec_tools.bench.accuracy [--write]``: the accuracy part of ``make bench``
    alone, over the full bench's months; ``--write`` ships the figures as
    ``sec_assets/seeds/cadence_error.csv``."""
    import argparse
    import json

    from sec_assets.masterdata import SEEDS
    from sec_tools.bench.__main__ import ACCURACY_FULL, OUT, SEED
    from sec_tools.bench.genbronze import generate

    args = argparse.ArgumentParser(description=main.__doc__).parse_known_args(argv)[1]
    history = (OUT / "history").resolve()
    generate(history / "bronze", ACCURACY_FULL, SEED)
    rows = bench_accuracy(history, ACCURACY_FULL, SEED)
    print("\n".join(json.dumps(r) for r in rows))
    table = cadence_table(rows).with_columns(pl.lit(SEED).alias("seed"))
    print(table)
    if "--write" in args:
        Path(str(SEEDS / "cadence_error.csv")).write_text(table.write_csv())


if __name__ == "__main__":
    main()

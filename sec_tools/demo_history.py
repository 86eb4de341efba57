"""The demo's history steps (``make demo``): import a small archive in the seed's shape for
one month and load it into silver, cross-check the open month against the simulator's ``Get``,
and say where the figures are. Called from :mod:`sec_tools.demo`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.bronze.import_job import ARCHIVE_ENV, import_config, import_seed
from sec_assets.bronze.resources import BronzeResource
from sec_assets.month import Month
from sec_assets.resources import Resources
from sec_assets.silver.national import CHECK_NAME
from sec_sim import SimConfig
from sec_sim.seed_archive import metadata_of, sim_points, write_archive
from sec_sim.service import SimService

HISTORY_PARTITION = "2024-07"  # the month before the demo's storm month
SEED_HOURS_PER_DAY = 4  # the seed scraped 00, 06, 12, 18
HISTORY_SILVER = ["snapshot_ledger", "fact_interrupciones", "fact_eventos"]
CROSSCHECK_ASSETS = [
    "sec_snapshots",
    "sec_customers",
    "region_customers",
    "snapshot_ledger",
    "fact_interrupciones",
    "sec_national_series",
    "national_hourly",
]
CHECK = CHECK_NAME


@dataclass
class HistoryRuns:
    imported: Any = None  # ExecuteInProcessResult of the import_seed job's run
    silver: Any = None  # ExecuteInProcessResult of the imported month's silver run
    crosscheck: Any = None  # ExecuteInProcessResult of the open month's cross-check run
    archive: Path | None = None

    @property
    def success(self) -> bool:
        runs = (self.imported, self.silver, self.crosscheck)
        return all(r is not None and r.success for r in runs)


def write_demo_archive(data_dir: Path) -> Path:
    """A month of the seed's ``checkpoint_2024.json`` (legacy era, 4 points a day, one failed
    point), generated from the simulator."""
    service = SimService(SimConfig(seed=42, era="legacy"))
    points = list(sim_points(service, 2024, 7, failed=["2024-07-09T18"]))
    path = data_dir / "seed_archive" / "checkpoint_2024.json"
    write_archive(path, points, metadata_of(points, 2024))
    return path


def import_month(run_selection, resources: Resources, instance, data_dir: Path) -> HistoryRuns:
    archive = write_demo_archive(data_dir)
    os.environ[ARCHIVE_ENV] = str(archive.parent)  # this process only: the demo archive
    seed = {**resources, "bronze": BronzeResource(storage=resources["storage"], hours_per_day=4)}
    runs = HistoryRuns(archive=archive)
    runs.imported = import_seed.execute_in_process(
        partition_key=HISTORY_PARTITION,
        resources=seed,
        instance=instance,
        run_config=import_config(archive.parent),
        raise_on_error=False,
    )
    if runs.imported.success:
        runs.silver = run_selection(HISTORY_SILVER, seed, instance, HISTORY_PARTITION)
    return runs


def crosscheck_open_month(run_selection, resources: Resources, instance, runs: HistoryRuns) -> None:
    runs.crosscheck = run_selection(CROSSCHECK_ASSETS, resources, instance, Month.at().key)


def _meta(result, asset: str) -> dict[str, Any]:
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in mat.metadata.items()}
    return {}


def report(runs: HistoryRuns, gold: dg.ExecuteInProcessResult | None, data_dir: Path) -> None:
    if runs.imported is not None:
        imp = _meta(runs.imported, "sec_seed_import")
        print(
            f"  seed import     {HISTORY_PARTITION} from {runs.archive}: "
            f"{imp.get('written', 0)} points written, outcomes {imp.get('outcomes', {})}"
        )
    if runs.crosscheck is not None:
        checks = [c for c in runs.crosscheck.get_asset_check_evaluations() if c.check_name == CHECK]
        nat = _meta(runs.crosscheck, "national_hourly")
        verdict = checks[0].description if checks else "not evaluated"
        print(
            f"  Get cross-check open month: {nat.get('hours_get', 0)} hours from Get, "
            f"{nat.get('hours_getporfecha_sum', 0)} summed from GetPorFecha; {verdict}"
        )
    pictures = sorted((data_dir / "gold" / "parquet").rglob("month.png"))
    print(f"  month pictures  {', '.join(str(p) for p in pictures) or 'none'}")
    figures = _meta(gold, "figures") if gold is not None else {}
    if figures:
        print(f"  figures         {figures['path']} ({figures['dagster/row_count']} PNG + SVG)")

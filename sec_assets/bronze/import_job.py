"""The seed's year archives, imported into bronze month by month: the ``import_seed`` job.

Optional, and only where the seed's archives are: the job is launched by hand (Jobs →
``import_seed`` → Launchpad, a month or a range of months, ``archive_dir`` in its config),
never by "Materialize all". ``sec_seed_import`` stays on the asset graph as an asset no run
materializes but this job's (``dg.AssetSpec``: not executable, so "Materialize all" leaves it
out); its partitions and page keep every month's import report.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.asset_labels import written_by
from sec_assets.bronze.importer import (
    CorruptArchiveError,
    ImportReport,
    import_archive,
    rejection_error,
)
from sec_assets.bronze.resources import BronzeResource
from sec_assets.month import Month
from sec_assets.partitions import monthly_partitions
from sec_assets.resource_settings import Shown, settings_metadata
from sec_assets.sec_client.state import open_state

ARCHIVE_ENV = "SEC_SEED_ARCHIVE_DIR"
_YEAR_FILE = re.compile(r"checkpoint_(\d{4})\.json$")
_DATASET_FILE = re.compile(r"dataset_.*\.json$")


class SeedImportConfig(dg.Config):
    archive_dir: str = ""  # the folder of checkpoint_<year>.json; empty: $SEC_SEED_ARCHIVE_DIR


def import_config(archive_dir: Path) -> dict[str, Any]:
    """The ``import_seed`` job's run config reading the archives of ``archive_dir``."""
    return {"ops": {"sec_seed_import": {"config": {"archive_dir": str(archive_dir)}}}}


def archive_files(directory: Path, month: str) -> list[Path]:
    """The archives that hold ``month``: ``checkpoint_<year>.json`` of its year; without one,
    the seed's multi-year ``dataset_*.json`` (built from the same points)."""
    if not directory.is_dir():
        return []
    names = sorted(directory.glob("*.json"))
    years = [p for p in names if (m := _YEAR_FILE.search(p.name)) and m.group(1) == month[:4]]
    return years or [p for p in names if _DATASET_FILE.match(p.name)]


def _sum(reports: list[ImportReport], attr: str) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in reports:
        for k, v in getattr(r, attr).items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items()))


def _totals(reports: list[ImportReport]) -> dict[str, Any]:
    """Counts of the run: ``points_read`` are every point of the files (all months),
    ``rejected`` those unusable (quarantined, or rows failing validation), by reason."""
    imported = sum(r.written + r.already_present for r in reports)
    return {
        "dagster/row_count": dg.MetadataValue.int(imported),
        "points_read": dg.MetadataValue.int(sum(r.points for r in reports)),
        "imported": dg.MetadataValue.int(imported),
        "written": dg.MetadataValue.int(sum(r.written for r in reports)),
        "already_present": dg.MetadataValue.int(sum(r.already_present for r in reports)),
        "quarantined": dg.MetadataValue.int(sum(r.quarantined for r in reports)),
        "rejected": dg.MetadataValue.int(sum(r.rejected for r in reports)),
        "rejected_by_reason": dg.MetadataValue.json(_sum(reports, "rejected_by_reason")),
        "first_reasons": dg.MetadataValue.json([x for r in reports for x in r.first_reasons]),
        "orphans_removed": dg.MetadataValue.int(sum(r.orphans_removed for r in reports)),
        "outcomes": dg.MetadataValue.json(_sum(reports, "outcomes")),
        "sources": dg.MetadataValue.json(
            [
                {"file": r.source, "sha256": r.sha256, "layout": r.layout, "mb_per_s": r.mb_per_s}
                for r in reports
            ]
        ),
    }


SEED_IMPORT_KEY = dg.AssetKey("sec_seed_import")


@dg.op(
    name="sec_seed_import",
    description="Import the seed's archived points of the run's month into sec_snapshots' bronze.",
)
def sec_seed_import(
    context: dg.OpExecutionContext, config: SeedImportConfig, bronze: BronzeResource
) -> Iterator[dg.AssetMaterialization | dg.AssetObservation | dg.Output[None]]:
    """Grain: one bronze exchange per archived point of the month. Idempotent (re-importing
    writes nothing); a corrupt archive fails with its byte offset and writes nothing of the
    month it was in; an archive with more than ``SEC_SEED_MAX_REJECTED_SHARE`` unusable points
    fails after storing everything (the counts are observed on the asset either way). Imported
    hours count as answered for coverage, the ledger and the sensor; a later fetch adds a
    version."""
    month = Month.of(context).label
    settings = bronze.settings
    directory = Path(config.archive_dir or settings.seed_archive_dir or "")
    files = archive_files(directory, month) if str(directory) not in ("", ".") else []
    if not files:
        raise dg.Failure(
            description=f"no seed archive for {month} in {str(directory) or '(unset)'}: set "
            f"{ARCHIVE_ENV} or the run config archive_dir to the folder of checkpoint_<year>.json"
        )
    reports = []
    for path in files:
        try:
            reports.append(
                import_archive(path, settings.data_dir, months={month}, state=open_state(settings))
            )
        except CorruptArchiveError as exc:
            raise dg.Failure(
                description=str(exc),
                metadata={"file": str(path), "byte_offset": exc.offset},
            ) from None
        context.log.info(f"{path.name}: {reports[-1].as_dict()}")
    seed_settings = Shown(bronze, ("seed_archive_dir", "seed_max_rejected_share"))
    metadata = {**_totals(reports), **settings_metadata(bronze, seed_settings)}
    max_share = settings.seed_max_rejected_share
    problems = [e for r in reports if (e := rejection_error(r, max_share)) is not None]
    if not sum(r.months.get(month, 0) for r in reports):
        names = ", ".join(p.name for p in files)
        problems.append(f"the seed's archives ({names}) hold no point of {month}")
    if problems:
        # the counts stay on the asset's page although the run fails
        yield dg.AssetObservation(
            asset_key=SEED_IMPORT_KEY, partition=context.partition_key, metadata=metadata
        )
        raise dg.Failure(description=" | ".join(problems), metadata=metadata)
    yield dg.AssetMaterialization(
        asset_key=SEED_IMPORT_KEY, partition=context.partition_key, metadata=metadata
    )
    yield dg.Output(None)


@dg.job(
    partitions_def=monthly_partitions,
    description="Import the seed's checkpoint_<year>.json archives into bronze, a month per "
    "partition (config archive_dir, else SEC_SEED_ARCHIVE_DIR); then materialize the months' "
    "silver assets (snapshot_ledger, fact_interrupciones, fact_eventos).",
    tags={"kind": "optional_import"},
)
def import_seed() -> None:
    sec_seed_import()


SEC_SEED_IMPORT = written_by(
    dg.AssetSpec(
        SEED_IMPORT_KEY,
        partitions_def=monthly_partitions,
        group_name="bronze",
        kinds={"python", "json"},
        description="The seed's checkpoint_<year>.json points of the month, imported into "
        "sec_snapshots' bronze (attempt 0, with source, file, sha256 and point index). Optional: "
        "written by the import_seed job only (launched by hand), never by Materialize all.",
    ),
    sec_seed_import,
)

"""``sec_seed_import``: the seed's year archives, imported into bronze month by month."""

import re
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.bronze.importer import CorruptArchiveError, ImportReport, import_archive
from sec_assets.bronze.resources import BronzeResource
from sec_assets.month import Month
from sec_assets.partitions import monthly_partitions

ARCHIVE_ENV = "SEC_SEED_ARCHIVE_DIR"
_YEAR_FILE = re.compile(r"checkpoint_(\d{4})\.json$")


class SeedImportConfig(dg.Config):
    archive_dir: str = ""  # the folder of checkpoint_<year>.json; empty: $SEC_SEED_ARCHIVE_DIR


def archive_files(directory: Path, month: str) -> list[Path]:
    """The archives that may hold ``month``: ``checkpoint_<year>.json`` of its year, or every
    other ``*.json`` of the folder (their year is not in their name)."""
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.json")):
        m = _YEAR_FILE.search(path.name)
        if m is None or m.group(1) == month[:4]:
            out.append(path)
    return out


def _totals(reports: list[ImportReport]) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for r in reports:
        for k, v in r.outcomes.items():
            outcomes[k] = outcomes.get(k, 0) + v
    return {
        "dagster/row_count": dg.MetadataValue.int(sum(sum(r.outcomes.values()) for r in reports)),
        "written": dg.MetadataValue.int(sum(r.written for r in reports)),
        "already_present": dg.MetadataValue.int(sum(r.already_present for r in reports)),
        "quarantined": dg.MetadataValue.int(sum(r.quarantined for r in reports)),
        "outcomes": dg.MetadataValue.json(outcomes),
        "sources": dg.MetadataValue.json(
            [{"file": r.source, "sha256": r.sha256, "mb_per_s": r.mb_per_s} for r in reports]
        ),
    }


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="bronze",
    kinds={"python", "json"},
    description="The seed's checkpoint_<year>.json points of the month, imported into "
    "sec_snapshots' bronze (attempt 0, with file, sha256 and point index).",
)
def sec_seed_import(
    context: dg.AssetExecutionContext, config: SeedImportConfig, bronze: BronzeResource
) -> dg.MaterializeResult:
    """Grain: one bronze exchange per archived point of the month. Idempotent (re-importing
    writes nothing); a corrupt archive fails with its byte offset and writes nothing of the
    month it was in. Imported hours count as answered for coverage, the ledger and the sensor;
    a later fetch adds a version."""
    month = Month.of(context).label
    directory = Path(config.archive_dir or bronze.settings.seed_archive_dir or "")
    files = archive_files(directory, month) if str(directory) not in ("", ".") else []
    if not files:
        raise dg.Failure(
            description=f"no seed archive for {month} in {str(directory) or '(unset)'}: set "
            f"{ARCHIVE_ENV} or the run config archive_dir to the folder of checkpoint_<year>.json"
        )
    reports = []
    for path in files:
        try:
            reports.append(import_archive(path, bronze.settings.data_dir, months={month}))
        except CorruptArchiveError as exc:
            raise dg.Failure(
                description=str(exc),
                metadata={"file": str(path), "byte_offset": exc.offset},
            ) from None
        context.log.info(f"{path.name}: {reports[-1].as_dict()}")
    return dg.MaterializeResult(metadata=_totals(reports))

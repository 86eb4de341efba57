"""The retention asset: bronze months older than the horizon move to the cold archive."""

import time
from pathlib import Path

import dagster as dg
from pydantic import Field

from sec_assets.bronze import object_archive
from sec_assets.bronze.archive import (
    DEFAULT_HORIZON_MONTHS,
    HORIZON_ENV,
    ArchiveResult,
    archive_due,
    cutoff_month,
    resolve_horizon,
)
from sec_assets.bronze.collect import utc_now
from sec_assets.bronze.resources import BronzeResource
from sec_assets.metadata_table import rows_table
from sec_assets.objects import ObjectLocation


class BronzeArchiveConfig(dg.Config):
    horizon_months: int | None = Field(
        default=None,
        ge=1,
        description=(
            f"Months kept hot before the current one; unset: ${HORIZON_ENV}, "
            f"else {DEFAULT_HORIZON_MONTHS}."
        ),
    )


def _relative(archive: str, root: Path | ObjectLocation) -> str:
    if isinstance(root, ObjectLocation):
        return archive.removeprefix(f"{root.url}/")
    return str(Path(archive).relative_to(root))


def _preview(results: list[ArchiveResult], limit: int = 20) -> dg.TableMetadataValue:
    """The first ``limit`` months archived (``archived`` lists them all)."""
    rows = [
        {
            "dataset": r.dataset,
            "month": r.month,
            "files": r.files,
            "bytes_before": r.bytes_before,
            "archive_bytes": r.bytes_after,
        }
        for r in results[:limit]
    ]
    columns = {"dataset": "string", "month": "string", "files": "int"}
    return rows_table(rows, {**columns, "bytes_before": "int", "archive_bytes": "int"})


@dg.asset(
    group_name="bronze",
    kinds={"python", "file"},
    description=(
        "Cold archive of bronze: every dataset-month older than the horizon as one checksummed "
        "tar.gz under bronze/_archive, its hot files removed after verification."
    ),
)
def bronze_archive(
    context: dg.AssetExecutionContext, config: BronzeArchiveConfig, bronze: BronzeResource
) -> dg.MaterializeResult:
    """Grain: one archive generation per dataset-month (``month=YYYY-MM.tar.gz``; a late
    re-fetch of an archived month becomes ``month=YYYY-MM.g2.tar.gz``).

    The open month and the ``horizon_months`` before it stay hot. Idempotent: a month already
    archived with no new hot files is left alone. Every archive is re-read and compared with the
    hot files before any is deleted; no archive is ever overwritten. A month whose archive lacks
    its sidecar (or has a wrong one) is refused, named with the verb that re-derives the
    sidecar, and the run fails after archiving the other months. Silver reads archived months
    as they are (``sec_assets.bronze.archive.month_store``).
    """
    horizon = resolve_horizon(config.horizon_months)
    now = utc_now()
    cutoff = cutoff_month(now, horizon)
    root = bronze.settings.bronze_root
    t0 = time.perf_counter()
    errors: dict[str, str] = {}
    if isinstance(root, ObjectLocation):
        results = object_archive.archive_due(root, horizon_months=horizon, now=now, errors=errors)
    else:
        results = archive_due(root, horizon_months=horizon, now=now, errors=errors)
    written = [r for r in results if r.archive]
    context.log.info(
        f"horizon {horizon} months (months before {cutoff}): "
        f"{len(written)} dataset-months archived, "
        f"{sum(r.deleted for r in results)} hot files removed"
    )
    metadata: dict[str, dg.RawMetadataValue] = {
        "horizon_months": dg.MetadataValue.int(horizon),
        "cutoff_month": dg.MetadataValue.text(cutoff),
        "months_archived": dg.MetadataValue.int(len(written)),
        "archived": dg.MetadataValue.json([f"{r.dataset}/{r.month}" for r in written]),
        "files": dg.MetadataValue.int(sum(r.files for r in written)),
        "hot_files_removed": dg.MetadataValue.int(sum(r.deleted for r in results)),
        "files_left_hot": dg.MetadataValue.int(sum(r.left_hot for r in results)),
        "bytes_before": dg.MetadataValue.int(sum(r.bytes_before for r in written)),
        "disk_bytes_before": dg.MetadataValue.int(sum(r.disk_before for r in written)),
        "bytes_after": dg.MetadataValue.int(sum(r.bytes_after for r in written)),
        "checksums": dg.MetadataValue.json(
            {_relative(r.archive, root): r.sha256 for r in written if r.archive}
        ),
        "duration_s": dg.MetadataValue.float(round(time.perf_counter() - t0, 3)),
        "preview": _preview(written),
        "months_refused": dg.MetadataValue.json(errors),
    }
    if errors:  # the other months were archived; these wait for a person
        raise dg.Failure(
            description=(
                f"{len(errors)} dataset-month(s) not archived, nothing of them deleted or "
                f"overwritten: " + "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:3])
            ),
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)

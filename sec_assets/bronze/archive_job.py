"""Retention: bronze months older than the horizon move to the cold archive.

Maintenance, not data: the ``archive_bronze`` job runs it, launched by hand (Jobs →
``archive_bronze`` → Launchpad) or by a schedule someone adds, never by "Materialize all".
``bronze_archive`` stays on the asset graph as an asset no run materializes but this job's
(``dg.AssetSpec``: not executable, so the UI's "Materialize all" leaves it out), and its page
keeps every run's report. A run first says what it will move (log and an observation of
``bronze_archive`` with the months, files and bytes due), then moves them; ``dry_run: true``
stops after saying it.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

from sec_assets import objects
from sec_assets.asset_labels import written_by
from sec_assets.bronze import object_archive
from sec_assets.bronze.archive import (
    DEFAULT_HORIZON_MONTHS,
    HORIZON_ENV,
    ArchiveResult,
    archive_due,
    cutoff_month,
    datasets,
    months_due,
    resolve_horizon,
)
from sec_assets.bronze.archive_read import hot_files
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
    dry_run: bool = Field(
        default=False, description="Only say what would be archived; move nothing."
    )


@dataclass(frozen=True)
class Due:
    """A hot dataset-month older than the horizon: what a run will archive."""

    dataset: str
    month: str
    files: int
    bytes: int


def due(root: Path | ObjectLocation, horizon_months: int, now: datetime) -> list[Due]:
    """Every hot dataset-month a run at ``now`` would archive, with its hot files and bytes
    (in a folder or on object storage)."""
    cutoff = cutoff_month(now, horizon_months)
    out = []
    if isinstance(root, ObjectLocation):
        for ds in [d for d in objects.list_folders(root.url, "") if d[0] not in "._"]:
            for month in object_archive.months_due(root, ds, cutoff):
                sizes = objects.list_sizes(root.url, f"{ds}/month={month}/")
                out.append(Due(ds, month, len(sizes), sum(sizes.values())))
        return out
    for ds in datasets(root):
        for month in months_due(root, ds, cutoff):
            hot = hot_files(root / ds / f"month={month}", root / ds)
            out.append(Due(ds, month, len(hot), sum(p.stat().st_size for p in hot.values())))
    return out


def _relative(archive: str, root: Path | ObjectLocation) -> str:
    if isinstance(root, ObjectLocation):
        return archive.removeprefix(f"{root.url}/")
    return str(Path(archive).relative_to(root))


def _plan_table(plan: list[Due], limit: int = 50) -> dg.TableMetadataValue:
    rows = [
        {"dataset": d.dataset, "month": d.month, "files": d.files, "bytes": d.bytes} for d in plan
    ]
    return rows_table(
        rows[:limit], {"dataset": "string", "month": "string", "files": "int", "bytes": "int"}
    )


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


ARCHIVE_KEY = dg.AssetKey("bronze_archive")


def _say_what_moves(
    context: dg.OpExecutionContext, plan: list[Due], horizon: int, cutoff: str, dry_run: bool
) -> dg.AssetObservation:
    files = sum(d.files for d in plan)
    verb = "would archive (dry run)" if dry_run else "will archive"
    context.log.info(
        f"horizon {horizon} months (months before {cutoff}): {verb} {len(plan)} "
        f"dataset-month(s), {files} hot file(s): "
        + (", ".join(f"{d.dataset}/{d.month} ({d.files} files)" for d in plan[:20]) or "none")
        + (f", … {len(plan) - 20} more" if len(plan) > 20 else "")
    )
    return dg.AssetObservation(
        asset_key=ARCHIVE_KEY,
        metadata={
            "dry_run": dg.MetadataValue.bool(dry_run),
            "horizon_months": dg.MetadataValue.int(horizon),
            "cutoff_month": dg.MetadataValue.text(cutoff),
            "months_due": dg.MetadataValue.int(len(plan)),
            "hot_files_due": dg.MetadataValue.int(files),
            "bytes_due": dg.MetadataValue.int(sum(d.bytes for d in plan)),
            "due": _plan_table(plan),
        },
    )


@dg.op(
    name="bronze_archive",
    description="Say which bronze months are older than the horizon, then archive them "
    "(dry_run: only say).",
)
def bronze_archive(
    context: dg.OpExecutionContext, config: BronzeArchiveConfig, bronze: BronzeResource
) -> Iterator[dg.AssetObservation | dg.AssetMaterialization | dg.Output[None]]:
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
    yield _say_what_moves(context, due(root, horizon, now), horizon, cutoff, config.dry_run)
    if config.dry_run:
        yield dg.Output(None)
        return
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
    yield dg.AssetMaterialization(asset_key=ARCHIVE_KEY, metadata=metadata)
    yield dg.Output(None)


@dg.job(
    description="Retention: archive bronze months older than the horizon "
    "(SEC_ARCHIVE_AFTER_MONTHS). Says what it will move first; dry_run: true only says.",
    tags={"kind": "maintenance"},
)
def archive_bronze() -> None:
    bronze_archive()


BRONZE_ARCHIVE = written_by(
    dg.AssetSpec(
        ARCHIVE_KEY,
        group_name="bronze",
        kinds={"python", "file"},
        description=(
            "Cold archive of bronze: every dataset-month older than the horizon as one checksummed "
            "tar.gz under bronze/_archive, its hot files removed after verification. Maintenance: "
            "written by the archive_bronze job only (launched by hand or scheduled), never by "
            "Materialize all."
        ),
    ),
    bronze_archive,
)

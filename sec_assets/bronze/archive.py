"""Cold archive of old bronze months: one checksummed ``tar.gz`` per dataset-month generation.

Layout, beside the hot tree of :class:`~sec_assets.bronze.store.BronzeStore`::

    <root>/_archive/<dataset>/month=YYYY-MM.tar.gz          generation 1
    <root>/_archive/<dataset>/month=YYYY-MM.tar.gz.sha256   its checksum (``sha256sum -c`` form)
    <root>/_archive/<dataset>/month=YYYY-MM.g2.tar.gz       generation 2: files that turned up
                                                            hot after generation 1 (a late
                                                            re-fetch); never a rewrite of g1

Old months leave the hot tree to save inodes and block slack; no hot copy is deleted before the
archive is re-read and checked, and no archive is ever written over. Modules:
``archive_format.py`` (the files), ``archive_write.py`` (writing, publishing, extracting),
``archive_read.py`` (restoring, lending), this one (archiving, due months).
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sec_assets.bronze import archive_write
from sec_assets.bronze.archive_format import (
    ARCHIVE_DIR,
    FORMAT,
    MANIFEST,
    SIDECAR_VERB,
    ArchiveConflictError,
    ArchiveCorruptError,
    ArchivedMonth,
    ArchiveError,
    ArchiveSidecarError,
    Entry,
    Generation,
    archive_name,
    same_content,
    sha256_file,
)
from sec_assets.bronze.archive_read import hot_files, lock, month_store, restore_month
from sec_assets.bronze.archive_write import rederive_sidecar
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.settings import SecSettings, load_settings

__all__ = [
    "ARCHIVE_DIR",
    "FORMAT",
    "MANIFEST",
    "SIDECAR_VERB",
    "ArchiveConflictError",
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveResult",
    "ArchiveSidecarError",
    "ArchivedMonth",
    "Entry",
    "Generation",
    "archive_due",
    "archive_month",
    "cutoff_month",
    "month_store",
    "months_due",
    "rederive_sidecar",
    "resolve_horizon",
    "restore_month",
]

DEFAULT_HORIZON_MONTHS: int = SecSettings.model_fields["archive_after_months"].default
HORIZON_ENV = "SEC_ARCHIVE_AFTER_MONTHS"
_MONTH_DIR = re.compile(r"^month=(\d{4}-\d{2})$")


@dataclass(frozen=True)
class ArchiveResult:
    dataset: str
    month: str
    archive: str | None  # the generation written by this run, if any
    sha256: str | None
    files: int  # files archived by this run
    bytes_before: int  # their sizes
    disk_before: int  # the disk they occupied (blocks)
    bytes_after: int  # size of the archive written
    deleted: int  # hot files removed (this run's and those found already archived)
    left_hot: int  # files still in the hot month folder (arrived meanwhile, temporaries)


def archive_month(
    root: Path, dataset: str, month: str, *, compresslevel: int = 6, now: datetime | None = None
) -> ArchiveResult:
    """Archive the hot files of one dataset-month, verify, then delete them.

    An archive holds ``MANIFEST.json`` first (format, dataset, month, generation, created_at,
    count, bytes, and path, size and sha256 of every file), then every file of the month byte
    for byte (the gzipped envelopes as stored), named by its path relative to
    ``<root>/<dataset>``. Envelopes are already gzipped, so the archive saves inodes and block
    slack rather than bytes.

    Archiving writes to a temporary name, fsyncs, re-reads the archive and checks every member
    against the manifest and the hot file, and only then links it (then its sidecar) into place
    and deletes the hot copies it lists; files that appeared meanwhile stay hot. No archive is
    ever written over: a new generation takes a number no file uses, and publishing refuses an
    existing name. An archive whose sidecar is missing or wrong stops every reader and writer of
    its month with an error naming it and the verb that re-derives the sidecar from the manifest
    (``python -m sec_assets archive-sidecar <archive>``, :func:`rederive_sidecar`); except a run
    killed between the two publications, whose files are all still hot: the next run checks and
    finishes it. Re-running is idempotent: hot files already in a generation with the same
    content are deleted (finishing an interrupted run), other content is a conflict and
    nothing is deleted; a file written again at another gzip level with the same envelope is
    the same file. Silver reads hot files: :func:`restore_month` puts a month back, or
    :func:`month_store` lends a temporary store with archive and hot files together, without
    touching the hot tree.
    """
    store = BronzeStore(root, dataset)
    archived = ArchivedMonth(Path(root), dataset, month)
    with lock(archived.folder):
        _finish_unpublished(archived)
        hot = hot_files(store.month_dir(month), store.root)
        known: dict[str, Entry] = {}
        for gen in archived.generations():
            gen.verify_checksum()
            known.update(gen.entries())
        fresh = {rel: path for rel, path in hot.items() if rel not in known}
        for rel in sorted(set(hot) & set(known)):
            if sha256_file(hot[rel]) != known[rel].sha256 and not same_content(
                hot[rel], archived.read(rel)
            ):
                raise ArchiveConflictError(f"{hot[rel]} differs from its archived copy; kept hot")
        stats = [p.stat() for p in fresh.values()]
        new, sha = None, None
        if fresh:
            number = archived.next_number()  # never a number whose file exists
            new = Generation(archived.folder / archive_name(month, number), number)
            sha = archive_write.write_generation(new, dataset, month, fresh, compresslevel, now)
        for path in hot.values():
            path.unlink()
        _prune(store.month_dir(month))
        return ArchiveResult(
            dataset=dataset,
            month=month,
            archive=str(new.path) if new else None,
            sha256=sha,
            files=len(fresh),
            bytes_before=sum(st.st_size for st in stats),
            disk_before=sum(st.st_blocks * 512 for st in stats),
            bytes_after=new.path.stat().st_size if new else 0,
            deleted=len(hot),
            left_hot=sum(len(names) for _, _, names in os.walk(store.month_dir(month))),
        )


def resolve_horizon(horizon_months: int | None = None) -> int:
    """The explicit value, else ``$SEC_ARCHIVE_AFTER_MONTHS``, else 24; at least 1."""
    value = horizon_months if horizon_months is not None else load_settings().archive_after_months
    if value < 1:
        raise ValueError(f"archive horizon must be at least 1 month, got {value}")
    return value


def cutoff_month(now: datetime, horizon_months: int) -> str:
    """Months before this one (``YYYY-MM``) are archived: the current month in Chile minus the
    horizon. The open month and the ``horizon_months`` before it always stay hot."""
    return Month.at(now).shift(-horizon_months).label


def months_due(root: Path, dataset: str, cutoff: str) -> list[str]:
    """Hot months of the dataset older than ``cutoff``."""
    base = Path(root) / dataset
    names = [e.name for e in os.scandir(base) if e.is_dir()] if base.is_dir() else []
    return sorted(m.group(1) for n in names if (m := _MONTH_DIR.match(n)) and m.group(1) < cutoff)


def datasets(root: Path) -> list[str]:
    base = Path(root)
    if not base.is_dir():
        return []
    return sorted(e.name for e in os.scandir(base) if e.is_dir() and e.name[0] not in "._")


def archive_due(
    root: Path,
    *,
    horizon_months: int,
    now: datetime,
    errors: dict[str, str] | None = None,
) -> list[ArchiveResult]:
    """Archive every hot month of every dataset under ``root`` older than the horizon. With
    ``errors``, a month that cannot be archived safely (a missing sidecar, a conflict) is
    recorded there (``dataset/month`` → message) and the others go on; without, it raises."""
    cutoff = cutoff_month(now, horizon_months)
    results = []
    for ds in datasets(root):
        for month in months_due(root, ds, cutoff):
            try:
                results.append(archive_month(root, ds, month, now=now))
            except ArchiveError as exc:
                if errors is None:
                    raise
                errors[f"{ds}/{month}"] = str(exc)
    return results


# -- internals ---------------------------------------------------------------------------------


def _finish_unpublished(archived: ArchivedMonth) -> None:
    """A run killed between publishing an archive and its sidecar left the archive and every
    hot file: check the archive against its manifest and those files, then write the sidecar
    (finishing that run). Anything that does not match stays an error."""
    numbers = archived.numbers_on_disk()
    if not numbers:
        return
    gen = Generation(archived.folder / archive_name(archived.month, numbers[-1]), numbers[-1])
    if not archived.unpublished(gen):
        return
    hot = Path(archived.root) / archived.dataset
    for entry, data, _ in gen.members():  # raises on a member that does not match the manifest
        if sha256_file(hot / entry.path) != entry.sha256 and not same_content(
            hot / entry.path, data
        ):
            raise ArchiveConflictError(
                f"{gen.path} has no sidecar and {hot / entry.path} differs from its copy in it; "
                "nothing deleted or overwritten"
            )
    archive_write.write_sidecar(gen, sha256_file(gen.path))


def _prune(month_dir: Path) -> None:
    """Remove the month's folders that are empty now, deepest first."""
    for dirpath, _, _ in sorted(os.walk(month_dir), key=lambda w: -len(w[0])):
        with suppress(OSError):
            os.rmdir(dirpath)

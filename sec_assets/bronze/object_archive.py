"""Archives of bronze months on object storage: the local algorithm (``archive.py``) run on a
tree of exactly the month's objects, its result published with conditional PUTs.

A new generation is uploaded, read back and compared, then its sidecar (last: it marks the
generation complete), and only then are the hot objects it lists deleted, then the month's
packs (``packs.py``: derived from the hot objects, needless once they are archived). Two machines
archiving the same month cannot both publish a generation number: the second PUT is refused,
nothing of its month is deleted. A run killed between the archive and its sidecar leaves every
hot object: the next run checks the archive against them and publishes the sidecar.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sec_assets import objects
from sec_assets.bronze import archive, packs
from sec_assets.bronze.archive_format import ARCHIVE_DIR, ArchiveCorruptError, ArchiveError
from sec_assets.bronze.archive_read import restore_month
from sec_assets.bronze.object_store import ObjectBronzeStore
from sec_assets.objects import ObjectLocation

_MONTH_DIR = re.compile(r"^month=(\d{4}-\d{2})$")


def archive_month(
    location: ObjectLocation,
    dataset: str,
    month: str,
    *,
    compresslevel: int = 6,
    now: datetime | None = None,
) -> archive.ArchiveResult:
    """:func:`sec_assets.bronze.archive.archive_month` for a month on object storage."""
    store = ObjectBronzeStore(location, dataset)
    url = location.url
    hot_before = store.listed(month)
    archived_before = store.archive_objects(month)
    with store.tree(month) as tree:
        result = archive.archive_month(tree, dataset, month, compresslevel=compresslevel, now=now)
        folder = tree / ARCHIVE_DIR / dataset
        made = sorted(
            (f"{ARCHIVE_DIR}/{dataset}/{p.name}" for p in folder.iterdir() if p.name[0] != "."),
            key=lambda k: (k.endswith(".sha256"), k),  # every archive before any sidecar
        )
        for key in [k for k in made if k not in archived_before]:
            data = (tree / key).read_bytes()
            if not objects.put_new(url, key, data):
                raise ArchiveError(
                    f"{location.url_of(key)} already exists (another run archived this month); "
                    "an archive is never overwritten, nothing deleted"
                )
            if objects.get(url, key) != data:
                raise ArchiveCorruptError(f"{location.url_of(key)} reads back other bytes")
        gone = [k for k in hot_before if not (tree / k).exists()]
        objects.delete_many(url, gone)
        objects.delete_many(url, packs.month_packs(url, dataset, month))
    published = result.archive and location.url_of(
        Path(result.archive).relative_to(tree).as_posix()
    )
    return replace(result, archive=published or None)


def restore(location: ObjectLocation, dataset: str, month: str) -> list[str]:
    """:func:`sec_assets.bronze.archive.restore_month` on object storage: every archived
    object of the month back under its key, byte for byte, verified before any is written;
    returns the keys restored."""
    store = ObjectBronzeStore(location, dataset)
    with store.tree(month) as tree:
        restored = restore_month(tree, dataset, month)
        items = {p.relative_to(tree).as_posix(): p.read_bytes() for p in restored}
    objects.put_many_new(location.url, items)
    return sorted(items)


def months_due(location: ObjectLocation, dataset: str, cutoff: str) -> list[str]:
    names = objects.list_folders(location.url, f"{dataset}/")
    return sorted(m.group(1) for n in names if (m := _MONTH_DIR.match(n)) and m.group(1) < cutoff)


def archive_due(
    location: ObjectLocation,
    *,
    horizon_months: int,
    now: datetime,
    errors: dict[str, str] | None = None,
) -> list[archive.ArchiveResult]:
    """:func:`sec_assets.bronze.archive.archive_due` for bronze on object storage."""
    cutoff = archive.cutoff_month(now, horizon_months)
    datasets = [d for d in objects.list_folders(location.url, "") if d[0] not in "._"]
    results = []
    for ds in datasets:
        for month in months_due(location, ds, cutoff):
            try:
                results.append(archive_month(location, ds, month, now=now))
            except ArchiveError as exc:
                if errors is None:
                    raise
                errors[f"{ds}/{month}"] = str(exc)
    return results

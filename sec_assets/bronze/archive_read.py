"""Reading an archived month back: restored into the hot tree, or lent as a temporary store.
Also the two helpers every archive operation shares: the hot files of a month and the lock."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sec_assets.bronze import archive_write
from sec_assets.bronze.archive_format import (
    ArchiveConflictError,
    ArchivedMonth,
    ArchiveError,
    same_content,
    sha256_file,
)
from sec_assets.bronze.store import BronzeStore
from sec_assets.files import LockTimeout, file_lock, fsync_dir


def restore_month(root: Path, dataset: str, month: str) -> list[Path]:
    """Put every archived file of the month back into the hot tree, byte for byte; returns the
    paths restored. Everything is extracted and verified in a staging folder first: a corrupt
    archive raises :class:`ArchiveCorruptError` and leaves the hot tree untouched. Hot files
    already present with the same content (``same_content``) are kept; other content is a
    conflict."""
    archived = ArchivedMonth(Path(root), dataset, month)
    if not archived.exists:
        raise ArchiveError(f"no archive of {dataset} {month} under {archived.folder}")
    dataset_dir = Path(root) / dataset
    dataset_dir.mkdir(parents=True, exist_ok=True)
    staging = dataset_dir / f".restore-{month}-{uuid.uuid4().hex[:8]}"
    with lock(archived.folder):
        try:
            entries = archive_write.extract(archived, staging)
            todo = []
            for entry in entries:
                target = dataset_dir / entry.path
                if not target.exists():
                    todo.append(entry.path)
                elif sha256_file(target) != entry.sha256 and not same_content(
                    target, (staging / entry.path).read_bytes()
                ):
                    raise ArchiveConflictError(f"{target} exists hot with other content; kept")
            month_dir = dataset_dir / f"month={month}"
            if not month_dir.exists():
                os.rename(staging / month_dir.name, month_dir)  # the whole month at once
            else:
                for rel in todo:
                    (dataset_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging / rel, dataset_dir / rel)
            fsync_dir(dataset_dir)
            return [dataset_dir / rel for rel in todo]
        finally:
            shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def month_store(
    root: Path, dataset: str, month: str, tmp_dir: Path | None = None
) -> Iterator[BronzeStore]:
    """A store holding the month whole (archived generations and hot files), for reading it
    without restoring: the hot store itself when nothing is archived, else a temporary copy
    (same relative paths, so ``source_file`` in silver is unchanged)."""
    archived = ArchivedMonth(Path(root), dataset, month)
    if not archived.exists:
        yield BronzeStore(root, dataset)
        return
    with tempfile.TemporaryDirectory(prefix="sec_archive_", dir=tmp_dir) as tmp:
        dataset_dir = Path(tmp) / dataset
        archive_write.extract(archived, dataset_dir)
        for rel, path in hot_files(
            Path(root) / dataset / f"month={month}", Path(root) / dataset
        ).items():
            target = dataset_dir / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        yield BronzeStore(Path(tmp), dataset)


def hot_files(month_dir: Path, dataset_dir: Path) -> dict[str, Path]:
    """Regular files of the month folder by relative path; ``.tmp-`` files are killed writes."""
    out: dict[str, Path] = {}
    for dirpath, _, names in os.walk(month_dir):
        for name in names:
            path = Path(dirpath) / name
            if not name.startswith(".tmp-") and path.is_file() and not path.is_symlink():
                out[path.relative_to(dataset_dir).as_posix()] = path
    return out


@contextmanager
def lock(folder: Path) -> Iterator[None]:
    """One archiving or restoring run per dataset at a time (``flock``; fails fast)."""
    with ExitStack() as held:
        try:
            held.enter_context(file_lock(folder / ".lock", timeout_s=0))
        except LockTimeout:
            raise ArchiveError(f"another run is archiving or restoring {folder}") from None
        yield

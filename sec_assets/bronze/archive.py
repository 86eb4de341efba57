"""Cold archive of old bronze months: one checksummed ``tar.gz`` per dataset-month generation.

Layout, beside the hot tree of :class:`~sec_assets.bronze.store.BronzeStore`::

    <root>/_archive/<dataset>/month=YYYY-MM.tar.gz          generation 1
    <root>/_archive/<dataset>/month=YYYY-MM.tar.gz.sha256   its checksum (``sha256sum -c`` form)
    <root>/_archive/<dataset>/month=YYYY-MM.g2.tar.gz       generation 2: files that turned up
                                                            hot after generation 1 (a late
                                                            re-fetch); never a rewrite of g1

An archive holds ``MANIFEST.json`` first (format, dataset, month, generation, created_at, count,
bytes, and path, size and sha256 of every file), then every file of the month byte for byte (the
gzipped envelopes as stored), named by its path relative to ``<root>/<dataset>``. Envelopes are
already gzipped, so the archive saves inodes and block slack rather than bytes.

Archiving writes to a temporary name, fsyncs, re-reads the archive and checks every member against
the manifest and the hot file, and only then renames it (and its sidecar) into place and deletes
the hot copies it lists; files that appeared meanwhile stay hot. A generation counts once its
sidecar exists. Re-running is idempotent: hot files already in a generation with the same sha256
are deleted (finishing an interrupted run), a different sha256 is a conflict and nothing is
deleted. Silver reads hot files: :func:`restore_month` puts a month back, or :func:`month_store`
lends a temporary store with archive and hot files together, without touching the hot tree.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from sec_assets.bronze.hours import CHILE
from sec_assets.bronze.store import BronzeStore

FORMAT = "sec_assets.bronze.archive/1"
ARCHIVE_DIR = "_archive"
MANIFEST = "MANIFEST.json"
DEFAULT_HORIZON_MONTHS = 24
HORIZON_ENV = "SEC_ARCHIVE_AFTER_MONTHS"
_MONTH_DIR = re.compile(r"^month=(\d{4}-\d{2})$")
_READ_ERRORS = (tarfile.TarError, zlib.error, EOFError, OSError, ValueError, KeyError, TypeError)


class ArchiveError(RuntimeError):
    """Archiving or restoring could not be done safely; nothing was deleted or half-restored."""


class ArchiveCorruptError(ArchiveError):
    """An archive does not match its checksum or its manifest."""


class ArchiveConflictError(ArchiveError):
    """A hot file and an archived file share a path but not their bytes."""


@dataclass(frozen=True)
class Entry:
    path: str  # relative to <root>/<dataset>, e.g. month=2024-08/2024-08-01T00/…json.gz
    size: int
    sha256: str


@dataclass(frozen=True)
class Generation:
    """One archive file of a month and its sidecar checksum."""

    path: Path
    number: int

    @property
    def sidecar(self) -> Path:
        return self.path.with_name(self.path.name + ".sha256")

    def verify_checksum(self) -> str:
        """The archive's sha256, when it matches the sidecar; else ArchiveCorruptError."""
        expected = self.sidecar.read_text().split()[0]
        actual = _sha256_file(self.path)
        if actual != expected:
            raise ArchiveCorruptError(
                f"{self.path}: sha256 {actual} does not match {self.sidecar.name} ({expected})"
            )
        return actual

    def manifest(self) -> dict[str, Any]:
        try:
            with tarfile.open(self.path, "r|gz") as tar:
                return self._manifest(tar, iter(tar))
        except _READ_ERRORS as exc:
            raise ArchiveCorruptError(f"{self.path}: unreadable manifest ({exc})") from exc

    def entries(self) -> dict[str, Entry]:
        return _entries(self.manifest())

    def members(self) -> Iterator[tuple[Entry, bytes, int]]:
        """Every file with its mtime, each checked against the manifest; raises on any mismatch
        (after yielding the members that did match: consume it all before trusting any)."""
        seen: set[str] = set()
        try:
            with tarfile.open(self.path, "r|gz") as tar:
                members = iter(tar)
                entries = _entries(self._manifest(tar, members))
                for info in members:
                    entry = entries.get(info.name)
                    fh = tar.extractfile(info) if info.isfile() else None
                    if entry is None or fh is None or info.name in seen:
                        raise ArchiveCorruptError(f"{self.path}: unexpected member {info.name}")
                    data = fh.read()
                    if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
                        raise ArchiveCorruptError(
                            f"{self.path}: member {info.name} does not match its sha256 "
                            f"in {MANIFEST}"
                        )
                    seen.add(info.name)
                    yield entry, data, int(info.mtime)
        except _READ_ERRORS as exc:
            raise ArchiveCorruptError(f"{self.path}: unreadable archive ({exc})") from exc
        if missing := sorted(set(entries) - seen):
            raise ArchiveCorruptError(f"{self.path}: {len(missing)} files missing: {missing[0]}")

    def _manifest(self, tar: tarfile.TarFile, members: Iterator[tarfile.TarInfo]) -> dict[str, Any]:
        first = next(members, None)
        fh = tar.extractfile(first) if first is not None and first.name == MANIFEST else None
        if fh is None:
            raise ArchiveCorruptError(f"{self.path}: first member is not {MANIFEST}")
        manifest: dict[str, Any] = orjson.loads(fh.read())
        if manifest.get("format") != FORMAT:
            raise ArchiveCorruptError(f"{self.path}: unknown format {manifest.get('format')!r}")
        return manifest


@dataclass(frozen=True)
class ArchivedMonth:
    """The archived generations of one dataset-month under the bronze ``root``."""

    root: Path
    dataset: str
    month: str

    @property
    def folder(self) -> Path:
        return Path(self.root) / ARCHIVE_DIR / self.dataset

    def generations(self) -> list[Generation]:
        """Complete generations (archive and sidecar present), oldest first."""
        out, n = [], 1
        while (gen := Generation(self.folder / _archive_name(self.month, n), n)).path.exists():
            if gen.sidecar.exists():
                out.append(gen)
            n += 1
        return out

    @property
    def exists(self) -> bool:
        return bool(self.generations())

    def entries(self) -> dict[str, Entry]:
        return {p: e for g in self.generations() for p, e in g.entries().items()}

    def read(self, path: str) -> bytes:
        """One archived file's bytes (verified), without restoring the month."""
        for gen in reversed(self.generations()):
            if path in gen.entries():
                gen.verify_checksum()
                for entry, data, _ in gen.members():
                    if entry.path == path:
                        return data
        raise KeyError(f"{path} is not archived in {self.folder}")

    def extract(self, dataset_dir: Path) -> list[Entry]:
        """Write every archived file under ``dataset_dir`` (which should be empty), verified."""
        written: list[Entry] = []
        for gen in self.generations():
            gen.verify_checksum()
            for entry, data, mtime in gen.members():
                target = dataset_dir / _safe(entry.path, self.month)
                target.parent.mkdir(parents=True, exist_ok=True)
                _write_durable(target, data)
                os.utime(target, (mtime, mtime))
                written.append(entry)
        return written


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
    """Archive the hot files of one dataset-month, verify, then delete them (module docstring)."""
    store = BronzeStore(root, dataset)
    archived = ArchivedMonth(Path(root), dataset, month)
    with _lock(archived.folder):
        hot = _hot_files(store.month_dir(month), store.root)
        known: dict[str, Entry] = {}
        for gen in archived.generations():
            gen.verify_checksum()
            known.update(gen.entries())
        fresh = {rel: path for rel, path in hot.items() if rel not in known}
        for rel in sorted(set(hot) & set(known)):
            if _sha256_file(hot[rel]) != known[rel].sha256:
                raise ArchiveConflictError(f"{hot[rel]} differs from its archived copy; kept hot")
        stats = [p.stat() for p in fresh.values()]
        new, sha = None, None
        if fresh:
            number = len(archived.generations()) + 1
            new = Generation(archived.folder / _archive_name(month, number), number)
            sha = _write_generation(new, dataset, month, fresh, compresslevel, now)
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


def restore_month(root: Path, dataset: str, month: str) -> list[Path]:
    """Put every archived file of the month back into the hot tree, byte for byte; returns the
    paths restored. Everything is extracted and verified in a staging folder first: a corrupt
    archive raises :class:`ArchiveCorruptError` and leaves the hot tree untouched. Hot files
    already present with the same bytes are kept; different bytes are a conflict."""
    archived = ArchivedMonth(Path(root), dataset, month)
    if not archived.exists:
        raise ArchiveError(f"no archive of {dataset} {month} under {archived.folder}")
    dataset_dir = Path(root) / dataset
    dataset_dir.mkdir(parents=True, exist_ok=True)
    staging = dataset_dir / f".restore-{month}-{uuid.uuid4().hex[:8]}"
    with _lock(archived.folder):
        try:
            entries = archived.extract(staging)
            todo = []
            for entry in entries:
                target = dataset_dir / entry.path
                if not target.exists():
                    todo.append(entry.path)
                elif _sha256_file(target) != entry.sha256:
                    raise ArchiveConflictError(f"{target} exists hot with other bytes; kept")
            month_dir = dataset_dir / f"month={month}"
            if not month_dir.exists():
                os.rename(staging / month_dir.name, month_dir)  # the whole month at once
            else:
                for rel in todo:
                    (dataset_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging / rel, dataset_dir / rel)
            _fsync_dir(dataset_dir)
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
        archived.extract(dataset_dir)
        for rel, path in _hot_files(
            Path(root) / dataset / f"month={month}", Path(root) / dataset
        ).items():
            target = dataset_dir / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        yield BronzeStore(Path(tmp), dataset)


def resolve_horizon(horizon_months: int | None = None) -> int:
    """The explicit value, else ``$SEC_ARCHIVE_AFTER_MONTHS``, else 24; at least 1."""
    raw = horizon_months if horizon_months is not None else os.environ.get(HORIZON_ENV)
    value = DEFAULT_HORIZON_MONTHS if raw in (None, "") else int(raw)
    if value < 1:
        raise ValueError(f"archive horizon must be at least 1 month, got {value}")
    return value


def cutoff_month(now: datetime, horizon_months: int) -> str:
    """Months before this one (``YYYY-MM``) are archived: the current month in Chile minus the
    horizon. The open month and the ``horizon_months`` before it always stay hot."""
    local = now.astimezone(CHILE).date()
    index = local.year * 12 + local.month - 1 - horizon_months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


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


def archive_due(root: Path, *, horizon_months: int, now: datetime) -> list[ArchiveResult]:
    """Archive every hot month of every dataset under ``root`` older than the horizon."""
    cutoff = cutoff_month(now, horizon_months)
    return [
        archive_month(root, ds, month, now=now)
        for ds in datasets(root)
        for month in months_due(root, ds, cutoff)
    ]


# -- internals ---------------------------------------------------------------------------------


def _archive_name(month: str, number: int) -> str:
    return f"month={month}.tar.gz" if number == 1 else f"month={month}.g{number}.tar.gz"


def _safe(rel: str, month: str) -> str:
    parts = rel.split("/")
    if parts[0] != f"month={month}" or any(p in ("", ".", "..") for p in parts) or rel[0] == "/":
        raise ArchiveCorruptError(f"unsafe member path {rel!r} for month {month}")
    return rel


def _hot_files(month_dir: Path, dataset_dir: Path) -> dict[str, Path]:
    """Regular files of the month folder by relative path; ``.tmp-`` files are killed writes."""
    out: dict[str, Path] = {}
    for dirpath, _, names in os.walk(month_dir):
        for name in names:
            path = Path(dirpath) / name
            if not name.startswith(".tmp-") and path.is_file() and not path.is_symlink():
                out[path.relative_to(dataset_dir).as_posix()] = path
    return out


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _write_generation(
    gen: Generation,
    dataset: str,
    month: str,
    files: dict[str, Path],
    compresslevel: int,
    now: datetime | None,
) -> str:
    """Write, fsync and verify the archive under a temporary name, then publish it and its
    sidecar (the sidecar last: it marks the generation complete). Returns its sha256."""
    entries = [
        Entry(rel, files[rel].stat().st_size, _sha256_file(files[rel])) for rel in sorted(files)
    ]
    created = now or datetime.now(UTC)
    manifest = {
        "format": FORMAT,
        "dataset": dataset,
        "month": month,
        "generation": gen.number,
        "created_at": created.isoformat(),
        "count": len(entries),
        "bytes": sum(e.size for e in entries),
        "files": [asdict(e) for e in entries],
    }
    gen.path.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = gen.path.with_name(f".tmp-{tag}-{gen.path.name}")
    side_tmp = gen.path.with_name(f".tmp-{tag}-{gen.sidecar.name}")
    try:
        _write_tar(
            tmp, orjson.dumps(manifest, option=orjson.OPT_INDENT_2), files, compresslevel, created
        )
        sha = _sha256_file(tmp)
        checked = {e.path: e.sha256 for e, _, _ in Generation(tmp, gen.number).members()}
        expected = {e.path: e.sha256 for e in entries}
        if checked != expected:
            raise ArchiveCorruptError(f"{tmp}: members differ from the manifest; nothing deleted")
        for rel, digest in checked.items():
            if _sha256_file(files[rel]) != digest:
                raise ArchiveCorruptError(f"{files[rel]} changed while archiving; nothing deleted")
        _write_durable(side_tmp, f"{sha}  {gen.path.name}\n".encode())
        os.replace(tmp, gen.path)
        os.replace(side_tmp, gen.sidecar)
        _fsync_dir(gen.path.parent)
        return sha
    finally:
        tmp.unlink(missing_ok=True)
        side_tmp.unlink(missing_ok=True)


def _write_tar(
    path: Path, manifest: bytes, files: dict[str, Path], compresslevel: int, created: datetime
) -> None:
    """Deterministic gzip header (no name, mtime 0); PAX tar; members in path order."""
    with open(path, "wb") as raw:
        with (
            gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=compresslevel, mtime=0
            ) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            tar.addfile(
                _tar_info(MANIFEST, len(manifest), int(created.timestamp())), io.BytesIO(manifest)
            )
            for rel in sorted(files):
                with open(files[rel], "rb") as fh:
                    st = os.fstat(fh.fileno())
                    tar.addfile(_tar_info(rel, st.st_size, int(st.st_mtime)), fh)
        raw.flush()
        os.fsync(raw.fileno())


def _tar_info(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _entries(manifest: dict[str, Any]) -> dict[str, Entry]:
    return {e["path"]: Entry(e["path"], e["size"], e["sha256"]) for e in manifest["files"]}


def _write_durable(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(month_dir: Path) -> None:
    """Remove the month's folders that are empty now, deepest first."""
    for dirpath, _, _ in sorted(os.walk(month_dir), key=lambda w: -len(w[0])):
        with suppress(OSError):
            os.rmdir(dirpath)


@contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One archiving or restoring run per dataset at a time (``flock``; fails fast)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveError(f"another run is archiving or restoring {folder}") from None
        yield
    finally:
        os.close(fd)

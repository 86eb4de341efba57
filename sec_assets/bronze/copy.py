"""Copy a bronze tree to another location (a folder to a bucket, a bucket to a folder or to
another bucket), verifying every checksum: ``python -m sec_assets bronze-copy SRC DST``.

Before anything is written, every archive's ``.sha256`` sidecar is checked against the archive.
Every file is then written only where its name is free (a conditional PUT, or a new local
file): a name the destination already holds with the same bytes (or, for an exchange, the same
envelope at another gzip level) is counted as already there, with other content it is a
conflict and nothing is overwritten. Every file written is read back
and its sha256 compared with the source's. Temporary and hidden files (``.tmp-*``, locks) are
not copied, nor month packs (``_packs/``: derived, they are not bronze). Into a bucket, the
copy writes each hot month's pack (``packs.py``) from the bytes it read back (what the bucket
holds; one month in memory at a time) when :data:`~packs.PACK_MIN_NEW` of the month's copied
files are not in its largest pack (a second run writes none). The pack covers the copied files:
a destination month that also holds others has those read one by one. A pack that cannot be
written is a warning, counted in the report: the files are whole without it. Run it
again after a failure: what is already there is checked and skipped.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sec_assets import objects
from sec_assets.bronze import packs
from sec_assets.bronze.archive_format import (
    ARCHIVE_DIR,
    ArchiveSidecarError,
    Generation,
    same_envelope,
)
from sec_assets.files import atomic_write
from sec_assets.objects import ObjectStoreError, is_object_url

BATCH = 500  # files read, written and read back at once
BATCH_BYTES = 64 * 1024 * 1024  # … or fewer, when they are archives
PACKS = f"{packs.PACK_DIR}/"  # month packs: derived, not copied
# a hot month's file: a dataset (not `_archive/`; hidden names are never listed), `month=YYYY-MM/`
_HOT = re.compile(r"^([^/._][^/]*)/month=(\d{4}-\d{2})/")


class CopyError(RuntimeError):
    """A file could not be copied or verified; the files already copied are whole."""


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    archives_checked: int = 0
    packs_written: int = 0
    packs_failed: int = 0
    conflicts: list[str] = field(default_factory=list)

    def line(self) -> str:
        made = f"{self.packs_written} month pack{'' if self.packs_written == 1 else 's'}"
        failed = f" ({self.packs_failed} could not be written)" if self.packs_failed else ""
        return (
            f"{self.copied} files copied ({self.bytes_copied:,} bytes), "
            f"{self.already_there} already there with the same bytes, "
            f"{self.archives_checked} archive sidecars checked; every file read back and its "
            f"sha256 matched; {made} written{failed}"
        )


class _Side:
    """One end of the copy: list, read, write-if-absent."""

    def __init__(self, where: str | Path) -> None:
        self.object = is_object_url(where)
        self.url = str(where).rstrip("/")
        self.root = Path(str(where).removeprefix("file://"))

    def __str__(self) -> str:
        return self.url

    def names(self) -> dict[str, int]:
        """Every file with its size, hidden ones (temporaries, locks) left out."""
        if self.object:
            keys = objects.list_sizes(self.url, "")
        else:
            keys = {
                (Path(d) / n).relative_to(self.root).as_posix(): (Path(d) / n).stat().st_size
                for d, _, names in os.walk(self.root)
                for n in names
            }
        return {
            k: keys[k]
            for k in sorted(keys)
            if not any(p.startswith(".") for p in k.split("/")) and not k.startswith(PACKS)
        }

    def read(self, names: list[str]) -> dict[str, bytes]:
        if self.object:
            return objects.get_many(self.url, names)
        return {n: (self.root / n).read_bytes() for n in names}

    def write_new(self, items: dict[str, bytes]) -> dict[str, bool]:
        if self.object:
            return objects.put_many_new(self.url, items)
        made = {}
        for name, data in items.items():
            target = self.root / name
            made[name] = not target.exists()
            if made[name]:
                atomic_write(target, data)
        return made


def bronze_copy(
    source: str | Path, target: str | Path, *, log: Callable[[str], None] | None = None
) -> CopyReport:
    """Copy every bronze file from ``source`` to ``target`` and verify it (module docstring)."""
    src, dst = _Side(source), _Side(target)
    if src.url == dst.url:
        raise CopyError(f"source and destination are the same: {src}")
    sizes = src.names()
    report = CopyReport()
    report.archives_checked = _check_sidecars(src, sizes)
    packer = _Packer(dst, report, log)
    for batch in _batches(sizes):
        data = src.read(batch)
        digests = {n: hashlib.sha256(b).hexdigest() for n, b in data.items()}
        made = dst.write_new(data)
        back = dst.read(batch)
        for name in batch:
            if hashlib.sha256(back[name]).hexdigest() != digests[name]:
                if made[name]:
                    raise CopyError(f"{dst.url}/{name} reads back other bytes than {src}")
                if _same_exchange(name, back[name], data[name]):
                    report.already_there += 1
                else:
                    report.conflicts.append(name)
            elif made[name]:
                report.copied += 1
                report.bytes_copied += len(data[name])
            else:
                report.already_there += 1
            packer.add(name, back[name])
        if log is not None:
            log(f"{report.copied + report.already_there}/{len(sizes)} files")
    packer.flush()
    if report.conflicts:
        raise CopyError(
            f"{len(report.conflicts)} files exist in {dst} with other bytes and were not "
            f"overwritten, e.g. {report.conflicts[0]}; the other files are copied and verified"
        )
    return report


class _Packer:
    """The destination's month packs, one hot month at a time: sorted names keep a month's files
    together, so its pack is written when the next month (or the end) comes."""

    def __init__(self, dst: _Side, report: CopyReport, log: Callable[[str], None] | None) -> None:
        self.url = dst.url if dst.object else None
        self.report, self.log = report, log
        self.month: tuple[str, str] | None = None
        self.members: dict[str, bytes] = {}

    def add(self, name: str, there: bytes) -> None:
        """``name`` as the destination holds it (a member when it is a hot month's file)."""
        if self.url is None:
            return
        hot = _HOT.match(name)
        month = (hot.group(1), hot.group(2)) if hot else None
        if month != self.month:
            self.flush()
            self.month = month
        if month is not None:
            self.members[name] = there

    def flush(self) -> None:
        """The held month's pack, unless it has fewer than :data:`packs.PACK_MIN_NEW` files, or
        fewer than that many more than the month's largest pack (a second run writes none)."""
        month, members = self.month, self.members
        self.month, self.members = None, {}
        if self.url is None or month is None or len(members) < packs.PACK_MIN_NEW:
            return
        try:
            held = max(packs.month_packs(self.url, *month).values(), default=0)
            if len(members) - held >= packs.PACK_MIN_NEW:
                packs.publish(self.url, *month, members)
                self.report.packs_written += 1
        except ObjectStoreError as exc:
            self.report.packs_failed += 1
            if self.log is not None:
                where = f"{month[0]}/month={month[1]}"
                self.log(f"warning: {where}: no pack written ({exc}); its files are verified")


def _same_exchange(name: str, there: bytes, here: bytes) -> bool:
    """A bronze exchange held at another gzip level: the same file (``same_envelope``)."""
    return name.endswith(".json.gz") and same_envelope(there, here)


def _check_sidecars(src: _Side, sizes: dict[str, int]) -> int:
    """Every archive's sidecar against the archive (the source is read, not trusted)."""
    archives = {
        n: size
        for n, size in sizes.items()
        if n.startswith(f"{ARCHIVE_DIR}/") and n.endswith(".tar.gz")
    }
    for batch in _batches(archives):
        with _local_copies(src, [*batch, *(f"{n}.sha256" for n in batch)], sizes) as folder:
            for name in batch:
                try:
                    Generation(folder / name, 0).verify_checksum()
                except ArchiveSidecarError as exc:
                    raise CopyError(f"{src}: {exc}; nothing copied") from None
    return len(archives)


@contextmanager
def _local_copies(src: _Side, wanted: list[str], names: dict[str, int]) -> Iterator[Path]:
    """The named files of ``src`` in a local folder (the folder itself when it is local)."""
    if not src.object:
        yield src.root
        return
    with tempfile.TemporaryDirectory(prefix="sec_copy_") as tmp:
        for name, data in src.read([w for w in wanted if w in names]).items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_bytes(data)
        yield Path(tmp)


def _batches(sizes: dict[str, int]) -> Iterator[list[str]]:
    """Names in order, at most :data:`BATCH` files and about :data:`BATCH_BYTES` at a time."""
    batch: list[str] = []
    held = 0
    for name, size in sizes.items():
        if batch and (len(batch) >= BATCH or held + size > BATCH_BYTES):
            yield batch
            batch, held = [], 0
        batch.append(name)
        held += size
    if batch:
        yield batch

"""What an archive of a bronze month is on disk, and how it is read and verified.

``<root>/_archive/<dataset>/month=YYYY-MM[.gN].tar.gz`` and its ``.sha256`` sidecar
(``sha256sum -c`` form). The tar holds ``MANIFEST.json`` first, then every file byte for byte.
Every archive file found is a generation: one without its sidecar, or with a sidecar that does
not match, is an error naming the file and the verb that re-derives the sidecar from the
manifest (:data:`SIDECAR_VERB`), never a month read as empty. No import of ``store.py``.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shlex
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

FORMAT = "sec_assets.bronze.archive/1"
ARCHIVE_DIR = "_archive"
MANIFEST = "MANIFEST.json"
SIDECAR_VERB = "python -m sec_assets archive-sidecar"
_READ_ERRORS = (tarfile.TarError, zlib.error, EOFError, OSError, ValueError, KeyError, TypeError)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(RuntimeError):
    """Archiving or restoring could not be done safely; nothing was deleted or half-restored."""


class ArchiveCorruptError(ArchiveError):
    """An archive does not match its checksum or its manifest."""


class ArchiveConflictError(ArchiveError):
    """A hot file and an archived file share a path but not their content."""


class ArchiveSidecarError(ArchiveCorruptError):
    """An archive's ``.sha256`` sidecar is missing, unreadable or does not match it."""


def sidecar_hint(archive: Path) -> str:
    """The advice, with the path shell-quoted: the command is safe to paste as printed."""
    command = shlex.join([*SIDECAR_VERB.split(), str(archive)])
    return (
        f"if the archive itself is intact, re-derive the sidecar from its manifest with "
        f"`{command}` (it verifies every member first)"
    )


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

    def expected_sha256(self) -> str:
        """The checksum the sidecar records; :class:`ArchiveSidecarError` if it cannot."""
        try:
            words = self.sidecar.read_text().split()
        except FileNotFoundError:
            raise ArchiveSidecarError(
                f"{self.path}: its checksum sidecar {self.sidecar.name} is missing; the month "
                f"is not read as empty and the archive is never overwritten; "
                f"{sidecar_hint(self.path)}"
            ) from None
        if len(words) != 2 or not _SHA256.match(words[0]) or words[1] != self.path.name:
            raise ArchiveSidecarError(
                f"{self.sidecar}: not a `<sha256>  {self.path.name}` line; "
                f"{sidecar_hint(self.path)}"
            )
        return words[0]

    def verify_checksum(self) -> str:
        """The archive's sha256, when it matches the sidecar; else ArchiveSidecarError."""
        expected = self.expected_sha256()
        actual = sha256_file(self.path)
        if actual != expected:
            raise ArchiveSidecarError(
                f"{self.path}: sha256 {actual} does not match {self.sidecar.name} ({expected}); "
                f"the archive or its sidecar changed; {sidecar_hint(self.path)}"
            )
        return actual

    def manifest(self) -> dict[str, Any]:
        try:
            with tarfile.open(self.path, "r|gz") as tar:
                return self._manifest(tar, iter(tar))
        except _READ_ERRORS as exc:
            raise ArchiveCorruptError(f"{self.path}: unreadable manifest ({exc})") from exc

    def entries(self) -> dict[str, Entry]:
        return entries_of(self.manifest())

    def members(self) -> Iterator[tuple[Entry, bytes, int]]:
        """Every file with its mtime, each checked against the manifest; raises on any mismatch
        (after yielding the members that did match: consume it all before trusting any)."""
        seen: set[str] = set()
        try:
            with tarfile.open(self.path, "r|gz") as tar:
                members = iter(tar)
                entries = entries_of(self._manifest(tar, members))
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


def archive_name(month: str, number: int) -> str:
    return f"month={month}.tar.gz" if number == 1 else f"month={month}.g{number}.tar.gz"


def _name_pattern(month: str) -> re.Pattern[str]:
    return re.compile(rf"^month={re.escape(month)}(?:\.g(\d+))?\.tar\.gz(\.sha256)?$")


@dataclass(frozen=True)
class ArchivedMonth:
    """The archived generations of one dataset-month under the bronze ``root``."""

    root: Path
    dataset: str
    month: str

    @property
    def folder(self) -> Path:
        return Path(self.root) / ARCHIVE_DIR / self.dataset

    def numbers_on_disk(self) -> list[int]:
        """Generation numbers that have an archive file or a sidecar, whole or not."""
        pattern = _name_pattern(self.month)
        found = set()
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if m := pattern.match(path.name):
                    found.add(int(m.group(1) or 1))
        return sorted(found)

    def generations(self) -> list[Generation]:
        """Every generation, oldest first. An archive without its sidecar, a sidecar without
        its archive or a gap in the numbers is an error, never a month read as empty; except
        the newest archive while it is being published (:meth:`unpublished`), left out: its
        files are all still hot."""
        out = []
        numbers = self.numbers_on_disk()
        for number in numbers:
            gen = Generation(self.folder / archive_name(self.month, number), number)
            if number == numbers[-1] and self.unpublished(gen):
                break
            if not gen.path.exists():
                raise ArchiveCorruptError(
                    f"{gen.sidecar} has no archive {gen.path.name}: the archive was lost or "
                    f"moved; put it back (the sidecar says which bytes it must have)"
                )
            gen.expected_sha256()  # a missing or malformed sidecar names the verb
            out.append(gen)
        if [g.number for g in out] != list(range(1, len(out) + 1)):
            raise ArchiveCorruptError(
                f"{self.folder}: generations of {self.month} are {[g.number for g in out]}; "
                "one is missing (lost or moved): put it back before reading or archiving"
            )
        return out

    def unpublished(self, gen: Generation) -> bool:
        """An archive whose sidecar is not written yet (an archiving run in progress, or killed
        between the two): every file its manifest lists is still hot, with its size. Archiving
        again finishes it; a reader meanwhile reads those hot files."""
        if not gen.path.exists() or gen.sidecar.exists():
            return False
        try:
            entries = gen.entries()
        except ArchiveCorruptError:
            return False
        hot = Path(self.root) / self.dataset
        try:
            return all((hot / e.path).stat().st_size == e.size for e in entries.values())
        except OSError:
            return False

    def next_number(self) -> int:
        """A number no file uses: an archive is never written over."""
        return max(self.numbers_on_disk(), default=0) + 1

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


def entries_of(manifest: dict[str, Any]) -> dict[str, Entry]:
    return {e["path"]: Entry(e["path"], e["size"], e["sha256"]) for e in manifest["files"]}


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def same_content(hot: Path, archived: bytes) -> bool:
    """A hot file holds what an archived file holds (:func:`same_envelope`)."""
    return same_envelope(hot.read_bytes(), archived)


def same_envelope(one: bytes, other: bytes) -> bool:
    """Two bronze files' bytes hold the same thing: the same bytes, or the same decompressed
    envelope (a bronze file is its name and its envelope; the gzip level only changes the
    container, ``store.BRONZE_GZIP_LEVEL``)."""
    if one == other:
        return True
    try:
        return gzip.decompress(one) == gzip.decompress(other)
    except (OSError, EOFError, zlib.error):
        return False


def safe_member(rel: str, month: str) -> str:
    parts = rel.split("/")
    if parts[0] != f"month={month}" or any(p in ("", ".", "..") for p in parts) or rel[0] == "/":
        raise ArchiveCorruptError(f"unsafe member path {rel!r} for month {month}")
    return rel

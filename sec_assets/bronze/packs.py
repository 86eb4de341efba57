"""Month packs: a month's bronze objects bundled in one object, so that a machine with an empty
cache reads a month with a listing and one GET instead of one GET per exchange.

A pack is derived, not bronze: the exchanges under ``<dataset>/month=YYYY-MM/`` are bronze's
append-only record; a pack is a replaceable copy of them, written and deleted freely. Key:
``_packs/<dataset>/month=YYYY-MM/pack-<members:06d>-<sha256[:16]>.tar``, an uncompressed tar
whose members are the month's gzipped objects under their keys; the name carries the member
count and the tar's own sha256. A month gets a new pack (conditional PUT) once
:data:`PACK_MIN_NEW` of its objects are not in its newest one; the older packs are then
deleted. A reader takes the pack with most members and uses a member only when its key is one
it lacks and its size is the listed size; a pack that vanished, whose bytes do not hash to its
name or that is not a tar is ignored, and the objects are read one by one. Members are located
by offset (:class:`Members`); the reader keeps the pack whole in its cache (``object_cache.py``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tarfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sec_assets import objects
from sec_assets.objects import ObjectStoreError

if TYPE_CHECKING:
    from sec_assets.bronze.store import BronzeStore

PACK_DIR = "_packs"
#: Objects of a month not in its newest pack before a new pack is written; also the fewest
#: missing copies for which a reader fetches the pack rather than the objects themselves.
PACK_MIN_NEW = 24
_NAME = re.compile(r"^pack-(\d{6})-([0-9a-f]{16})\.tar$")
_BLOCK = tarfile.BLOCKSIZE
_EMPTY = bytes(_BLOCK)


@dataclass(frozen=True)
class Fetched:
    """How a month's missing copies were filled: the pack used, the keys taken from it and the
    keys read one by one."""

    pack: str | None = None
    from_pack: list[str] = field(default_factory=list)
    one_by_one: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PackWrite:
    """A month's pack written (``key`` None when the month did not need one) and the older
    packs deleted."""

    key: str | None
    members: int
    removed: list[str] = field(default_factory=list)


def after_month_write(store: BronzeStore, month: str, log: logging.Logger) -> None:
    """The end of a month's write (collection or import): its pack, when it needs a new one. A
    pack that cannot be written is a warning, not the month's failure: the month is whole
    without it, and its next write tries again."""
    try:
        done = store.pack_month(month)
    except ObjectStoreError as exc:
        log.warning(f"{month}: no pack written ({exc}); its objects are all stored")
        return
    if done is not None and done.key is not None:
        gone = len(done.removed)
        log.info(f"{month}: {done.key} written ({done.members} objects), {gone} older removed")


def pack_prefix(dataset: str, month: str) -> str:
    return f"{PACK_DIR}/{dataset}/month={month}/"


def month_packs(url: str, dataset: str, month: str) -> dict[str, int]:
    """The month's packs, key → members (other names under the prefix are left out)."""
    listed = objects.list_sizes(url, pack_prefix(dataset, month))
    return {k: int(m.group(1)) for k in listed if (m := _NAME.match(k.rsplit("/", 1)[-1]))}


def largest(packs: dict[str, int]) -> str | None:
    return max(packs, key=lambda k: (packs[k], k)) if packs else None


def pack_bytes(members: dict[str, bytes]) -> bytes:
    """An uncompressed tar of ``members`` in key order, with fixed times and owners (the same
    members make the same bytes)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for key in sorted(members):
            info = tarfile.TarInfo(key)
            info.size, info.mode, info.mtime = len(members[key]), 0o644, 0
            tar.addfile(info, io.BytesIO(members[key]))
    return out.getvalue()


def pack_key(dataset: str, month: str, data: bytes, members: int) -> str:
    digest = hashlib.sha256(data).hexdigest()[:16]
    return f"{pack_prefix(dataset, month)}pack-{members:06d}-{digest}.tar"


def publish(url: str, dataset: str, month: str, members: dict[str, bytes]) -> PackWrite:
    """Store a pack of ``members`` (conditional PUT) and delete the month's packs listed before
    it (a pack written meanwhile by another machine is kept: readers take the largest)."""
    older = month_packs(url, dataset, month)
    data = pack_bytes(members)
    key = pack_key(dataset, month, data, len(members))
    objects.put_new(url, key, data)  # an existing key holds these very bytes
    removed = sorted(k for k in older if k != key)
    objects.delete_many(url, removed)
    return PackWrite(key, len(members), removed)


def member_count(name: str) -> int | None:
    """The member count a pack's file name carries (None when it is not a pack's name)."""
    m = _NAME.match(name)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Members:
    """A pack's bytes, checked against its name's digest, and where each member lies in them
    (key → offset, size: read from the tar's own headers)."""

    key: str
    data: bytes
    at: dict[str, tuple[int, int]]

    def matching(self, wanted: dict[str, int]) -> dict[str, int]:
        """The keys of ``wanted`` held here with the wanted (listed) size."""
        at = self.at
        return {k: n for k, n in wanted.items() if (where := at.get(k)) and where[1] == n}

    def member(self, key: str) -> bytes:
        offset, size = self.at[key]
        return self.data[offset : offset + size]


def members_of(key: str, data: bytes) -> Members | None:
    """``data`` as the pack ``key`` names: None when its sha256 is not the name's, or it is not
    a tar whose regular members lie whole within it."""
    if not key.endswith(f"-{hashlib.sha256(data).hexdigest()[:16]}.tar"):
        return None
    at = _plain_members(data)
    if at is None:
        at = {}
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
                for info in tar:
                    if info.isfile():
                        at[info.name] = (info.offset_data, info.size)
        except (tarfile.TarError, EOFError, OSError):
            return None
    if any(offset + size > len(data) for offset, size in at.values()):
        return None
    return Members(key, data, at)


def _plain_members(data: bytes) -> dict[str, tuple[int, int]] | None:
    """Where each member lies, read straight from the headers of a tar of plain ustar files
    (what :func:`pack_bytes` writes for keys of at most 100 ASCII characters), ten times
    faster than ``tarfile``; None for anything else (a PAX header, another member type, a
    size in base 256, no end marker), which ``tarfile`` then reads."""
    at: dict[str, tuple[int, int]] = {}
    pos = 0
    while pos + _BLOCK <= len(data):
        head = data[pos : pos + _BLOCK]
        if head == _EMPTY:
            return at
        if head[257:262] != b"ustar" or head[156:157] not in (b"0", b"\0") or head[124] & 0x80:
            return None
        name, prefix = head[:100].split(b"\0", 1)[0], head[345:500].split(b"\0", 1)[0]
        try:
            key = (prefix + b"/" + name if prefix else name).decode("ascii")
            size = int(head[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError:
            return None
        at[key] = (pos + _BLOCK, size)
        pos += _BLOCK + -(-size // _BLOCK) * _BLOCK
    return None


def fetch(url: str, dataset: str, month: str) -> Members | None:
    """The month's largest pack, read with one GET; None when there is none, or it vanished
    between the listing and the GET, or it is not the bytes its name hashes to, or not a tar."""
    try:
        key = largest(month_packs(url, dataset, month))
        data = objects.get(url, key) if key else b""
    except ObjectStoreError:  # gone between the listing and the GET, or unreachable
        return None
    return members_of(key, data) if key else None


def unpack(
    url: str, dataset: str, month: str, wanted: dict[str, int]
) -> tuple[str | None, dict[str, bytes]]:
    """The members of the month's largest pack whose key is in ``wanted`` with the same size
    (key → bytes), and the pack's key; nothing when :func:`fetch` finds no usable pack."""
    pack = fetch(url, dataset, month)
    if pack is None:
        return None, {}
    return pack.key, {k: pack.member(k) for k in pack.matching(wanted)}

"""A machine's cache of bronze objects on object storage (``object_store.py``): a copy per
object it wrote or fetched alone, at ``<cache>/<key>``, and month packs (``packs.py``) kept whole.

A month an empty cache reads from its pack costs one local file, the pack itself, under
``<cache>/_packs/<dataset>/month=YYYY-MM/pack-<members>-<sha256[:16]>.tar`` (the pack's key):
written under a temporary name and renamed, so no reader ever sees half of one; its members are
read by offset from the tar's own headers. A reader loads the cached pack with most members and
uses it only when its bytes hash to its name: a pack damaged on disk (truncated, other bytes) is
deleted and the month's objects are fetched again. Keeping a pack deletes the cached packs of
the month with fewer members (a reader that loaded one of them keeps the bytes it read) and the
temporary files a killed writer left there over an hour ago.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from sec_assets.bronze import packs

#: A pack's temporary file older than this is a killed writer's, removed by the next keep.
STALE_TMP_S = 3600.0


def folder(cache: Path, dataset: str, month: str) -> Path:
    return cache / packs.pack_prefix(dataset, month)


def load(cache: Path, dataset: str, month: str) -> packs.Members | None:
    """The month's cached pack with most members that is whole (module docstring)."""
    where = folder(cache, dataset, month)
    try:
        names = [n for n in os.listdir(where) if packs.member_count(n) is not None]
    except FileNotFoundError:
        return None
    for name in sorted(names, key=lambda n: (packs.member_count(n), n), reverse=True):
        try:
            data = (where / name).read_bytes()
        except FileNotFoundError:  # replaced by a larger pack since the listing
            continue
        held = packs.members_of(f"{packs.pack_prefix(dataset, month)}{name}", data)
        if held is not None:
            return held
        (where / name).unlink(missing_ok=True)  # damaged: never read
    return None


def keep(cache: Path, pack: packs.Members) -> None:
    """``pack`` in the cache under its key (whole: temporary name, rename), and the month's
    cached packs with fewer members deleted."""
    final = cache / pack.key
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".tmp-{uuid.uuid4().hex}-{final.name}")
    try:
        tmp.write_bytes(pack.data)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)  # a write that failed (full disk) leaves nothing
    count = packs.member_count(final.name) or 0
    stale = time.time() - STALE_TMP_S
    for name in os.listdir(final.parent):
        path = final.parent / name
        smaller = (packs.member_count(name) or count) < count
        if smaller or (name.startswith(".tmp-") and _mtime(path) < stale):  # stale: killed
            path.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


class Held:
    """Where each of a month's listed objects is read on this machine: a member of the listed
    size of the cached pack ``pack``, else the copy at ``<cache>/<key>``."""

    def __init__(self, cache: Path, pack: packs.Members | None, listed: dict[str, int]) -> None:
        self.cache, self.pack, self.listed = cache, pack, listed
        self.in_pack = pack.matching(listed) if pack is not None else {}

    def missing(self) -> dict[str, int]:
        """The listed objects in neither the pack nor a copy of the listed size."""
        return {
            k: n
            for k, n in self.listed.items()
            if k not in self.in_pack and not copy_ok(self.cache / k, n)
        }

    def read(self, key: str) -> bytes:
        if key in self.in_pack and self.pack is not None:
            return self.pack.member(key)
        return (self.cache / key).read_bytes()

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        return {k: self.read(k) for k in keys}


def copy_ok(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def keep_copy(path: Path, data: bytes) -> None:
    """The machine's copy: renamed into place whole (no fsync: the listing's size checks it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def keep_copies(cache: Path, items: dict[str, bytes]) -> None:
    """:func:`keep_copy` of many objects: each folder made once, one random tag for the batch's
    temporary names (half the time of one by one, for a month's hundreds of small files)."""
    for parent in {(cache / key).parent for key in items}:
        parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex
    for key, data in items.items():
        path = cache / key
        tmp = path.with_name(f".tmp-{tag}-{path.name}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

"""Month packs kept whole in a machine's cache of bronze objects (``packs.py``).

A month an empty cache reads from its pack costs one local file, the pack itself, under
``<cache>/_packs/<dataset>/month=YYYY-MM/pack-<members>-<sha256[:16]>.tar`` (the pack's key):
written under a temporary name and renamed, so no reader ever sees half of one; its members are
read by offset from the tar's own headers. A reader loads the cached pack with most members and
uses it only when its bytes hash to its name: a pack damaged on disk (truncated, other bytes) is
deleted and the month's objects are fetched again. Keeping a pack deletes the cached packs of
the month with fewer members; a reader that loaded one of them keeps the bytes it read.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sec_assets.bronze import packs


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
    tmp.write_bytes(pack.data)
    os.replace(tmp, final)
    count = packs.member_count(final.name) or 0
    for name in os.listdir(final.parent):
        if (packs.member_count(name) or count) < count:
            (final.parent / name).unlink(missing_ok=True)

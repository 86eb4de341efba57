"""A pack's members located by offset: the header reader agrees with ``tarfile`` on the packs
``pack_bytes`` writes, hands anything else to it, and no pack is used whose bytes are not the
ones its name hashes to; the cache keeps one whole pack per month (``object_cache.py``)."""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from sec_assets.bronze import object_cache, packs

M = "2024-08"
DS = "sec_snapshots"


def _members(n: int, *, long_key: bool = False) -> dict[str, bytes]:
    out = {
        f"{DS}/month={M}/{M}-{d:02d}T00/20260101T000000000000Z-a1-ok-{d:012x}.json.gz": bytes(
            [d % 251]
        )
        * (d * 97 % 1500 + 1)
        for d in range(1, n + 1)
    }
    if long_key:
        out[f"{DS}/month={M}/{'x' * 120}.json.gz"] = b"a member under a long name"
    return out


def _by_tarfile(data: bytes) -> dict[str, tuple[int, int]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        return {i.name: (i.offset_data, i.size) for i in tar if i.isfile()}


def _pack(members: dict[str, bytes]) -> packs.Members:
    data = packs.pack_bytes(members)
    held = packs.members_of(packs.pack_key(DS, M, data, len(members)), data)
    assert held is not None
    return held


@pytest.mark.parametrize("long_key", [False, True], ids=["ustar headers", "a PAX header"])
def test_members_lie_where_tarfile_finds_them(long_key: bool) -> None:
    members = _members(40, long_key=long_key)
    data = packs.pack_bytes(members)
    assert (packs._plain_members(data) is None) == long_key  # PAX: read by tarfile
    held = _pack(members)
    assert held.at == _by_tarfile(data)
    assert {k: held.member(k) for k in members} == members
    sizes = {k: len(v) for k, v in members.items()}
    first = sorted(sizes)[0]
    assert held.matching({**sizes, first: sizes[first] + 1, "other": 1}) == {
        k: n for k, n in sizes.items() if k != first
    }


@pytest.mark.parametrize(
    "fault", ["truncated", "a byte changed", "another pack's name", "not a tar"]
)
def test_bytes_that_are_not_the_named_pack_are_refused(fault: str) -> None:
    members = _members(30)
    data = packs.pack_bytes(members)
    key = packs.pack_key(DS, M, data, len(members))
    if fault == "truncated":
        data = data[: len(data) // 2]
    elif fault == "a byte changed":
        data = data[:700] + bytes([data[700] ^ 1]) + data[701:]
    elif fault == "another pack's name":
        key = packs.pack_key(DS, M, data + b"\0", len(members))
    else:
        data = b"no tar here" * 100
        key = packs.pack_key(DS, M, data, len(members))
    assert packs.members_of(key, data) is None


def test_the_cache_keeps_the_largest_whole_pack(tmp_path: Path) -> None:
    small, large = _pack(_members(30)), _pack(_members(60))
    assert object_cache.load(tmp_path, DS, M) is None
    object_cache.keep(tmp_path, small)
    assert object_cache.load(tmp_path, DS, M) == small
    object_cache.keep(tmp_path, large)  # more members: the smaller one goes
    folder = object_cache.folder(tmp_path, DS, M)
    assert sorted(p.name for p in folder.iterdir()) == [large.key.rsplit("/", 1)[1]]
    (tmp_path / large.key).write_bytes(large.data[:-512])  # damaged on disk
    assert object_cache.load(tmp_path, DS, M) is None and not any(folder.iterdir())


def test_keeping_a_pack_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    """A temporary pack file over an hour old is a writer's that died before its rename; a
    fresh one may be another process's write in progress and stays."""
    pack = _pack(_members(30))
    folder = object_cache.folder(tmp_path, DS, M)
    folder.mkdir(parents=True)
    old, fresh = folder / ".tmp-dead-pack.tar", folder / ".tmp-live-pack.tar"
    old.write_bytes(b"half a pack")
    fresh.write_bytes(b"being written")
    hours_ago = time.time() - object_cache.STALE_TMP_S - 60
    os.utime(old, (hours_ago, hours_ago))
    object_cache.keep(tmp_path, pack)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [fresh.name, pack.key.rsplit("/", 1)[1]]
    )
    assert object_cache.load(tmp_path, DS, M) == pack

"""Month packs on a real S3 HTTP API (moto's server on loopback): written at the end of a month's
collection, read by a machine with an empty cache instead of one GET per object, never trusted
beyond the listing (a member of another size, a vanished or unreadable pack: the objects are
read one by one), replaced by a larger pack, deleted by the archive; written by the copy into a
bucket, never copied as a file; a month imported from the seed gets one too; a pack that cannot
be written fails neither the month nor the copy."""

from __future__ import annotations

import gzip
import hashlib
import logging
import multiprocessing
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from sec_assets import objects
from sec_assets.bronze import copy, object_archive, packs
from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.copy import bronze_copy
from sec_assets.bronze.importer import import_archive
from sec_assets.bronze.object_store import ObjectBronzeStore
from sec_assets.bronze.store import BRONZE_GZIP_LEVEL, BronzeStore, open_store
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation, ObjectStoreError
from sec_assets.resources import local_resources
from sec_assets.sec_client.exchange import Attempt
from sec_assets.silver.load import read_answers
from sec_assets.silver.parser_process import ParserProcess
from sec_assets_tests.integration.test_bronze_object_store import same_answers
from sec_assets_tests.s3_server import S3Server, s3_server
from sec_tools.bench.genbronze import write_month

MONTH = Month(2024, 8)
M = MONTH.label
NOW = datetime(2025, 11, 20, 12, tzinfo=UTC)  # 2024-08 is 15 months back
SNAPS = "sec_snapshots"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def local_bronze(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2024-08 at 4 hours a day from the simulator's answers (``<root>`` is a bronze folder)."""
    root = tmp_path_factory.mktemp("bronze_src") / "bronze"
    write_month(root, MONTH, 7, datetime(2026, 1, 1), hours_per_day=4)
    (root / SNAPS / f"month={M}" / ".generated").unlink()
    return root


def bucket_of(s3: S3Server, local_bronze: Path, cache: Path) -> ObjectBronzeStore:
    """The month copied to a new bucket, its pack (written by the copy) deleted, seen from
    ``cache``."""
    url = s3.bucket()
    bronze_copy(local_bronze, url)
    objects.delete_many(url, packs.month_packs(url, SNAPS, M))
    store = open_store(ObjectLocation(url, cache), SNAPS)
    assert isinstance(store, ObjectBronzeStore) and not packs.month_packs(url, SNAPS, M)
    return store


def cold(store: ObjectBronzeStore, cache: Path) -> ObjectBronzeStore:
    """The same bucket from a machine whose cache is empty."""
    other = open_store(ObjectLocation(store.where.url, cache), SNAPS)
    assert isinstance(other, ObjectBronzeStore)
    return other


def cached_bytes(store: ObjectBronzeStore) -> dict[str, bytes]:
    """Every listed object of the month as this machine reads it (a copy or a cached pack's
    member), by key."""
    base = store.root.parent
    with store.readable_month(M) as month:
        return {f.path.relative_to(base).as_posix(): month.stored_bytes(f) for f in month.files(M)}


def cache_files(store: ObjectBronzeStore) -> list[str]:
    """The files in the machine's cache (relative paths)."""
    base = store.root.parent
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def test_a_month_collected_on_a_bucket_ends_with_its_pack(
    sim, s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = s3.bucket()
    monkeypatch.setenv("SEC_BRONZE_URL", url)
    resources = local_resources(
        tmp_path / "data", base_url=sim.base_url, hours_per_day=4, requests_per_second=2000
    )
    assert dg.materialize([sec_snapshots], partition_key=M, resources=resources).success
    listed = objects.list_sizes(url, f"{SNAPS}/month={M}/")
    [(key, members)] = packs.month_packs(url, SNAPS, M).items()
    assert members == len(listed) == 4 * 31 + 1  # every hour and the server time
    assert key.startswith(f"_packs/{SNAPS}/month={M}/pack-{members:06d}-")

    again = dg.materialize([sec_snapshots], partition_key=M, resources=resources)
    assert again.success and packs.month_packs(url, SNAPS, M) == {key: members}  # nothing new


def test_an_empty_cache_reads_the_month_from_its_pack_byte_for_byte(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    made = writer.pack_month(M)
    assert made.key is not None and made.members == len(writer.listed(M))
    assert writer.pack_month(M).key is None  # nothing new: no second pack

    reader = cold(writer, tmp_path / "reader")
    fetched = reader.fill_cache(M)
    assert fetched.pack == made.key and fetched.one_by_one == []
    assert fetched.from_pack == sorted(writer.listed(M))
    local = BronzeStore(local_bronze, SNAPS)
    assert cached_bytes(reader) == {k: (local_bronze / k).read_bytes() for k in reader.listed(M)}
    same_answers(cold(writer, tmp_path / "silver"), local)  # silver's read, through the pack
    assert reader.fill_cache(M) == packs.Fetched()  # every copy there: no request but a listing


def test_a_month_read_from_its_pack_is_one_file_in_the_cache(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    """An empty cache filled from the pack holds the pack alone (no copy, no folder per hour);
    read from it, every object is byte-identical and silver's answers are the local ones, in
    this process and in the ranged load's parser process, which opens the store itself."""
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    made = writer.pack_month(M)
    reader = cold(writer, tmp_path / "reader")
    assert reader.fill_cache(M).pack == made.key
    assert cache_files(reader) == [made.key]
    assert cached_bytes(reader) == {k: (local_bronze / k).read_bytes() for k in reader.listed(M)}
    one = reader.files(M)[7]  # the store itself reads a member too, outside a month's read
    assert (
        reader.stored_bytes(one)
        == (local_bronze / one.path.relative_to(reader.root.parent)).read_bytes()
    )
    local = BronzeStore(local_bronze, SNAPS)
    same_answers(cold(writer, tmp_path / "reader"), local)
    from sec_assets.bronze.month_totals import month_totals

    assert month_totals(reader, M) == month_totals(local, M)
    where = ObjectLocation(writer.where.url, tmp_path / "reader")
    caps = regions().select("cut_region", pl.col("clientes").alias("customers"))
    (tmp_path / "spool").mkdir()
    with ParserProcess() as parser:
        parser.submit("spool_month", where, MONTH, caps, 4, tmp_path / "spool")
        spooled = parser.result()
    assert spooled.raw_rows == read_answers(local, MONTH).rows.height
    assert cache_files(reader) == [made.key]  # nothing written beside it by the reads


@pytest.mark.parametrize("damage", ["truncated", "other bytes", "not a tar"])
def test_a_damaged_cached_pack_is_never_read(
    s3: S3Server, local_bronze: Path, tmp_path: Path, damage: str
) -> None:
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    made = writer.pack_month(M)
    reader = cold(writer, tmp_path / "reader")
    reader.fill_cache(M)
    held = reader.root.parent / made.key
    data = held.read_bytes()
    if damage == "truncated":
        held.write_bytes(data[: len(data) // 2])
    elif damage == "other bytes":  # a member's body changed in place, its size unchanged
        at = data.index(b"\x1f\x8b", 4096) + 40
        held.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    else:
        held.write_bytes(b"\x00" * len(data))
    listed = reader.listed(M)
    assert cached_bytes(reader) == {k: (local_bronze / k).read_bytes() for k in listed}
    assert held.read_bytes() == data  # fetched again, whole
    assert reader.fill_cache(M) == packs.Fetched()
    same_answers(cold(writer, tmp_path / "reader"), BronzeStore(local_bronze, SNAPS))


def _fill_at_once(url: str, cache: str, ready: Any, out: Any) -> None:
    """One machine's process: waits for the other, then fills the month and reads it."""
    store = open_store(ObjectLocation(url, Path(cache)), SNAPS)
    assert isinstance(store, ObjectBronzeStore)
    ready.wait(timeout=120)
    fetched = store.fill_cache(M)
    digests = {k: hashlib.sha256(b).hexdigest() for k, b in cached_bytes(store).items()}
    out.put((fetched.pack, fetched.one_by_one, digests))


def test_two_processes_filling_the_same_cache_at_once_both_read_every_byte(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    made = writer.pack_month(M)
    cache = tmp_path / "shared"
    ctx = multiprocessing.get_context("spawn")
    ready, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_fill_at_once, args=(writer.where.url, str(cache), ready, out))
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    want = {
        k: hashlib.sha256((local_bronze / k).read_bytes()).hexdigest() for k in writer.listed(M)
    }
    for pack, one_by_one, digests in results:
        assert pack in (made.key, None) and one_by_one == [] and digests == want
    reader = cold(writer, cache)
    assert cache_files(reader) == [made.key]  # one whole pack, no temporary left
    assert reader.fill_cache(M) == packs.Fetched()


def test_a_member_of_another_size_than_listed_is_read_alone(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    listed = writer.listed(M)
    members = {k: objects.get(writer.where.url, k) for k in listed}
    odd, shorter = sorted(listed)[5], sorted(listed)[9]
    members[odd] += b"\x00"  # a member that is not the listed object
    members[shorter] = members[shorter][:-1]
    packs.publish(writer.where.url, SNAPS, M, members)

    reader = cold(writer, tmp_path / "reader")
    fetched = reader.fill_cache(M)
    assert fetched.one_by_one == sorted([odd, shorter])
    assert len(fetched.from_pack) == len(listed) - 2
    assert cached_bytes(reader) == {k: (local_bronze / k).read_bytes() for k in listed}


@pytest.mark.parametrize("fault", ["vanished", "not a tar", "not the bytes its name hashes to"])
def test_a_pack_that_cannot_be_used_falls_back_to_the_objects(
    s3: S3Server, local_bronze: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    url = writer.where.url
    if fault == "vanished":  # deleted by a newer pack between the reader's listing and its GET
        writer.pack_month(M)
        listing = packs.month_packs

        def listed_then_gone(*args: str) -> dict[str, int]:
            found = listing(*args)
            objects.delete_many(url, found)
            return found

        monkeypatch.setattr(packs, "month_packs", listed_then_gone)
    elif fault == "not a tar":
        junk = b"these bytes are not a tar archive" * 40
        objects.put_new(url, packs.pack_key(SNAPS, M, junk, 999), junk)
    else:  # a whole pack, under a name whose digest is another's
        data = packs.pack_bytes({k: objects.get(url, k) for k in writer.listed(M)})
        key = packs.pack_key(SNAPS, M, data, 999)
        objects.put_new(url, f"{key[:-21]}-0123456789abcdef.tar", data)

    reader = cold(writer, tmp_path / "reader")
    fetched = reader.fill_cache(M)
    assert fetched.pack is None and fetched.from_pack == []
    assert fetched.one_by_one == sorted(writer.listed(M))
    assert cached_bytes(reader) == {k: (local_bronze / k).read_bytes() for k in writer.listed(M)}


def _refetch(key: str, at: datetime) -> Attempt:
    return Attempt(
        "GetPorFecha", "http://sim/GetPorFecha", {"anho": 2024, "mes": 8}, key, 1, at, 3.0,
        200, {}, b"[]", "empty",
    )  # fmt: skip


def test_a_larger_pack_replaces_the_older_ones(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    writer = bucket_of(s3, local_bronze, tmp_path / "writer")
    first = writer.pack_month(M)
    reader = cold(writer, tmp_path / "reader")
    assert reader.fill_cache(M).pack == first.key
    packed = set(writer.listed(M))
    at = datetime(2026, 2, 1, tzinfo=UTC)
    for day in range(1, packs.PACK_MIN_NEW):  # one fewer than a new pack needs
        writer.write(M, _refetch(f"{M}-{day:02d}T00", at + timedelta(minutes=day)))
    assert writer.pack_month(M).key is None
    assert packs.month_packs(writer.where.url, SNAPS, M) == {first.key: first.members}

    writer.write(M, _refetch(f"{M}-31T00", at))
    second = writer.pack_month(M)
    assert second.members == first.members + packs.PACK_MIN_NEW == len(writer.listed(M))
    assert second.removed == [first.key]
    assert packs.month_packs(writer.where.url, SNAPS, M) == {second.key: second.members}
    fetched = cold(writer, tmp_path / "other").fill_cache(M)
    assert fetched.pack == second.key and fetched.one_by_one == []
    again = reader.fill_cache(M)  # 24 objects missing from the cached pack: the larger one
    assert again.pack == second.key and again.from_pack == sorted(set(writer.listed(M)) - packed)
    assert cache_files(reader) == [second.key]  # it replaced the smaller one


def test_the_copy_into_a_bucket_writes_the_pack_and_the_archive_deletes_it(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    url = s3.bucket()
    report = bronze_copy(local_bronze, url)
    listed = objects.list_sizes(url, f"{SNAPS}/month={M}/")
    [(key, members)] = packs.month_packs(url, SNAPS, M).items()
    assert members == len(listed) == report.copied and report.packs_written == 1
    assert "; 1 month pack written" in report.line()
    assert bronze_copy(local_bronze, url).packs_written == 0  # run again: the pack is there

    reader = open_store(ObjectLocation(url, tmp_path / "reader"), SNAPS)
    assert isinstance(reader, ObjectBronzeStore)
    fetched = reader.fill_cache(M)
    assert fetched.pack == key and fetched.one_by_one == [] and fetched.from_pack == sorted(listed)
    assert cached_bytes(reader) == {k: (local_bronze / k).read_bytes() for k in listed}

    back = tmp_path / "back" / "bronze"  # a source bucket's packs are not copied as files
    assert bronze_copy(url, back).copied == len(listed) and not (back / packs.PACK_DIR).exists()
    other = s3.bucket()
    again = bronze_copy(url, other)
    assert (again.copied, again.packs_written) == (len(listed), 1)
    assert packs.month_packs(other, SNAPS, M) == {key: members}  # the same members, the same tar

    writer = cold(reader, tmp_path / "writer")
    [result] = object_archive.archive_due(writer.where, horizon_months=12, now=NOW)
    assert (result.dataset, result.month) == (SNAPS, M)  # `_packs` is not a dataset
    assert writer.listed(M) == {} and packs.month_packs(url, SNAPS, M) == {}
    same_answers(cold(writer, tmp_path / "silver"), BronzeStore(local_bronze, SNAPS))


def test_the_copy_packs_each_month_of_its_own_files_across_batches(
    s3: S3Server, local_bronze: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two months and a month too small for a pack, read 50 files at a time: each pack holds
    its month's files as the bucket holds them (an exchange already there at another gzip
    level as it is there), nothing of the neighbouring month."""
    src = tmp_path / "bronze"
    shutil.copytree(local_bronze, src)
    for month in ["2024-09", "2024-10"]:
        shutil.copytree(src / SNAPS / f"month={M}", src / SNAPS / f"month={month}")
    small = sorted(p for p in (src / SNAPS / "month=2024-10").rglob("*") if p.is_file())
    for extra in small[packs.PACK_MIN_NEW - 1 :]:
        extra.unlink()
    monkeypatch.setattr(copy, "BATCH", 50)
    url = s3.bucket()
    one = next((src / SNAPS / "month=2024-09").rglob("*.json.gz"))
    level = 9 if BRONZE_GZIP_LEVEL != 9 else 1
    other = gzip.compress(gzip.decompress(one.read_bytes()), compresslevel=level, mtime=0)
    assert len(other) != len(one.read_bytes())
    objects.put_new(url, one.relative_to(src).as_posix(), other)
    assert bronze_copy(src, url).packs_written == 2
    for month in [M, "2024-09"]:
        [(key, members)] = packs.month_packs(url, SNAPS, month).items()
        listed = objects.list_sizes(url, f"{SNAPS}/month={month}/")
        used, kept = packs.unpack(url, SNAPS, month, listed)
        assert used == key and kept == objects.get_many(url, listed)
        assert members == len(kept) == len(listed) > 100
    assert packs.month_packs(url, SNAPS, "2024-10") == {}  # 23 files: read one by one


def test_a_pack_the_copy_cannot_write_is_a_warning(
    s3: S3Server, local_bronze: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(url: str, *args: object) -> packs.PackWrite:
        raise ObjectStoreError(f"{url}: writing _packs/: connection refused")

    monkeypatch.setattr(packs, "publish", refused)
    url, said = s3.bucket(), []
    report = bronze_copy(local_bronze, url, log=said.append)  # does not raise
    assert (report.packs_written, report.packs_failed) == (0, 1)
    assert report.copied == len(objects.list_sizes(url, f"{SNAPS}/month={M}/"))
    [warning] = [line for line in said if line.startswith("warning:")]
    assert f"{SNAPS}/month={M}: no pack written" in warning and "connection refused" in warning
    assert "; 0 month packs written (1 could not be written)" in report.line()


class _Unreachable(BronzeStore):
    def pack_month(self, month: str) -> packs.PackWrite | None:
        raise ObjectStoreError("s3://bucket/data: listing _packs/ failed: connection refused")


def test_a_pack_that_cannot_be_written_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("sec_assets.test_packs")
    packs.after_month_write(_Unreachable(tmp_path, SNAPS), M, log)  # does not raise
    [said] = caplog.records
    assert said.levelno == logging.WARNING and "its objects are all stored" in said.getMessage()


def test_a_month_imported_into_a_bucket_ends_with_its_pack(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sec_sim import SimConfig
    from sec_sim.seed_archive import metadata_of, sim_points, write_archive
    from sec_sim.service import SimService

    points = list(sim_points(SimService(SimConfig(seed=5)), 2024, 8))
    archive = tmp_path / "checkpoint_2024.json"
    write_archive(archive, points, metadata_of(points, 2024))
    url = s3.bucket()
    monkeypatch.setenv("SEC_BRONZE_URL", url)
    report = import_archive(archive, tmp_path / "data")
    assert report.written == len(points) == 4 * 31
    assert list(packs.month_packs(url, SNAPS, M).values()) == [report.written]

"""Bronze on a real S3 HTTP API (moto's server on loopback): the same month on local disk and in
a bucket reads the same; append-only by conditional PUT; coverage from a listing; archives
and restore byte for byte; a stopped server leaves nothing half-written; the copy verb."""

from __future__ import annotations

import gzip
import hashlib
import pickle
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from sec_assets import objects
from sec_assets.__main__ import main as cli
from sec_assets.bronze import object_archive
from sec_assets.bronze.copy import CopyError, bronze_copy
from sec_assets.bronze.store import BRONZE_GZIP_LEVEL, BronzeStore, open_store
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation, ObjectStoreError
from sec_assets.sec_client.exchange import Attempt
from sec_assets.settings import load_settings
from sec_assets.silver.load import read_answers
from sec_assets.silver.ranged import parse_month
from sec_assets_tests.s3_server import SECRET_KEY, S3Server, s3_server
from sec_tools.bench.genbronze import write_month

MONTH = Month(2024, 8)
M = MONTH.label
NOW = datetime(2025, 11, 20, 12, tzinfo=UTC)  # 2024-08 is 15 months back
SNAPS = "sec_snapshots"


def _attempt(key: str, body: bytes, outcome: str, at: datetime) -> Attempt:
    status = 503 if outcome.startswith("http") else 200
    return Attempt(
        "GetPorFecha", "http://sim/GetPorFecha", {"anho": 2024, "mes": 8}, key, 1, at, 3.0,
        status, {"content-type": "text/html"}, body, outcome, error=f"{outcome} (crafted)",
    )  # fmt: skip


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def local_bronze(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2024-08 at 4 hours a day from the simulator's answers, a failed try and a body that is
    not UTF-8 (``<root>`` is a bronze folder)."""
    root = tmp_path_factory.mktemp("bronze_src") / "bronze"
    write_month(root, MONTH, 7, datetime(2026, 1, 1), hours_per_day=4)
    (root / SNAPS / f"month={M}" / ".generated").unlink()
    store = BronzeStore(root, SNAPS)
    good = store.latest_good(M)["2024-08-10T12"].fetched_at
    store.write(M, _attempt("2024-08-10T12", b"<html>busy</html>", "http_503", good - _S))
    store.write(M, _attempt("2024-08-11T18", b"\xff\xfe<b>\xe9t\xe9</b>", "invalid_body", good))
    return root


_S = timedelta(seconds=5)


def digests(store: BronzeStore, keys: list[str]) -> dict[str, str]:
    loc = store.location
    assert isinstance(loc, ObjectLocation)
    return {k: hashlib.sha256(b).hexdigest() for k, b in objects.get_many(loc.url, keys).items()}


def same_answers(a: BronzeStore, b: BronzeStore) -> None:
    x, y = read_answers(a, MONTH), read_answers(b, MONTH)
    assert x.rows.height > 1000 and x.hours.height == 4 * 31
    for left, right in [(x.rows, y.rows), (x.hours, y.hours), (x.eras, y.eras)]:
        assert left.equals(right)
    assert x.server_time == y.server_time


def test_a_bucket_reads_as_the_folder_it_was_copied_from(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    url = s3.bucket()
    n = sum(1 for p in local_bronze.rglob("*.json.gz"))
    assert cli(["bronze-copy", str(local_bronze), url]) == 0
    again = bronze_copy(local_bronze, url)  # idempotent: checked, nothing rewritten
    assert (again.copied, again.already_there) == (0, n)

    local = BronzeStore(local_bronze, SNAPS)
    bucket = open_store(ObjectLocation(url, tmp_path / "machine_a"), SNAPS)
    assert [f.path.name for f in bucket.files(M)] == [f.path.name for f in local.files(M)]
    assert bucket.versions(M) == local.versions(M)
    assert bucket.latest_good(M).keys() == local.latest_good(M).keys()
    assert bucket.bytes_on_disk(M) == local.bytes_on_disk(M)
    same_answers(bucket, local)
    cold = open_store(ObjectLocation(url, tmp_path / "machine_b"), SNAPS)  # an empty cache
    same_answers(cold, local)
    # A ranged silver run hands the location to its parser process (pickled).
    where = pickle.loads(pickle.dumps(ObjectLocation(url, tmp_path / "machine_c")))
    caps = regions().select("cut_region", pl.col("clientes").alias("customers"))
    parsed = parse_month(where, MONTH, caps, 4)
    assert parsed.raw_rows == read_answers(local, MONTH).rows.height
    assert parsed.silver.facts.equals(parse_month(local_bronze, MONTH, caps, 4).silver.facts)

    back = tmp_path / "back" / "bronze"
    bronze_copy(url, back)
    assert {p.relative_to(back): p.read_bytes() for p in back.rglob("*.json.gz")} == {
        p.relative_to(local_bronze): p.read_bytes() for p in local_bronze.rglob("*.json.gz")
    }


def test_objects_are_never_overwritten_and_refetches_add_versions(
    s3: S3Server, tmp_path: Path
) -> None:
    url = s3.bucket()
    store = open_store(ObjectLocation(url, tmp_path / "cache"), SNAPS)
    at = datetime(2024, 8, 3, 12, tzinfo=UTC)
    first = _attempt("2024-08-03T09", b"[]", "empty", at)
    store.write(M, first)
    store.write(M, first)  # the same exchange again: nothing new
    [key] = store.listed(M)
    assert not objects.put_new(url, key, b"other bytes")  # If-None-Match: refused
    assert objects.get(url, key) == (store.root.parent / key).read_bytes()  # the first bytes

    store.write(M, replace(first, fetched_at=at + timedelta(hours=1)))  # a re-fetch
    assert store.versions(M) == {"2024-08-03T09": 2} and len(store.listed(M)) == 2
    assert store.remove_orphans(M) == 0


def test_archive_and_restore_on_the_bucket_keep_every_byte(
    s3: S3Server, local_bronze: Path, tmp_path: Path
) -> None:
    url = s3.bucket()
    bronze_copy(local_bronze, url)
    loc = ObjectLocation(url, tmp_path / "cache")
    store = open_store(loc, SNAPS)
    hot = sorted(store.listed(M))
    before = digests(store, hot)

    [result] = object_archive.archive_due(loc, horizon_months=12, now=NOW)

    assert result.files == len(hot) and result.archive == f"{url}/_archive/{SNAPS}/month={M}.tar.gz"
    assert store.listed(M) == {}
    assert sorted(k.rsplit("/", 1)[1] for k in store.archive_objects(M)) == [
        f"month={M}.tar.gz",
        f"month={M}.tar.gz.sha256",
    ]
    cold = open_store(ObjectLocation(url, tmp_path / "other"), SNAPS)
    assert cold.versions(M) == BronzeStore(local_bronze, SNAPS).versions(M)  # still covered
    same_answers(cold, BronzeStore(local_bronze, SNAPS))  # read from the archive

    restored = object_archive.restore(loc, SNAPS, M)
    assert restored == hot and digests(store, hot) == before
    again = object_archive.archive_month(loc, SNAPS, M, now=NOW)  # hot copies of g1: deleted
    assert again.archive is None and again.deleted == len(hot) and store.listed(M) == {}


def test_a_stopped_server_leaves_nothing_half_written(s3: S3Server, tmp_path: Path) -> None:
    url = s3.bucket()
    store = open_store(ObjectLocation(url, tmp_path / "cache"), SNAPS)
    attempt = _attempt("2024-08-05T10", b"[]", "empty", datetime(2024, 8, 5, 14, tzinfo=UTC))
    s3.stop()
    try:
        with pytest.raises(ObjectStoreError) as err:
            store.write(M, attempt)
    finally:
        s3.start()
    assert url in str(err.value) and SECRET_KEY not in str(err.value)
    assert store.listed(M) == {} and not store.month_dir(M).exists()  # no copy either
    store.write(M, attempt)
    assert list(store.versions(M).values()) == [1]


def test_copy_refuses_a_wrong_sidecar_and_other_bytes(local_bronze: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    bronze_copy(local_bronze, src)
    target = tmp_path / "dst"
    one = next(src.rglob("*.json.gz"))
    (target / one.relative_to(src)).parent.mkdir(parents=True)
    (target / one.relative_to(src)).write_bytes(b"not the same")
    with pytest.raises(CopyError, match="other bytes"):
        bronze_copy(src, target)
    assert (target / one.relative_to(src)).read_bytes() == b"not the same"

    from sec_assets.bronze.archive import archive_month

    archive_month(src, SNAPS, M)
    sidecar = next(src.rglob("*.sha256"))
    sidecar.write_text("0" * 64 + "  " + sidecar.name.removesuffix(".sha256") + "\n")
    with pytest.raises(CopyError, match="nothing copied"):
        bronze_copy(src, tmp_path / "dst2")
    assert not (tmp_path / "dst2").exists()


def test_copy_counts_an_exchange_at_another_gzip_level_as_there(
    local_bronze: Path, tmp_path: Path
) -> None:
    """A destination holding an exchange gzipped at another level (the same envelope) has it:
    already there, not a conflict, and kept as it is."""
    src = tmp_path / "src"
    bronze_copy(local_bronze, src)
    one = next(src.rglob("*.json.gz"))
    held = tmp_path / "dst" / one.relative_to(src)
    held.parent.mkdir(parents=True)
    level = 9 if BRONZE_GZIP_LEVEL != 9 else 1
    other = gzip.compress(gzip.decompress(one.read_bytes()), compresslevel=level, mtime=0)
    assert other != one.read_bytes()
    held.write_bytes(other)
    report = bronze_copy(src, tmp_path / "dst")
    assert (report.already_there, report.conflicts) == (1, []) and held.read_bytes() == other


def test_object_store_keys_are_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("SEC_BRONZE_URL", "s3://bucket/prefix/")
    settings = load_settings()
    assert SECRET_KEY not in settings.redactor.text(f"key={SECRET_KEY}")
    assert SECRET_KEY not in repr(settings)
    assert settings.bronze_root == ObjectLocation("s3://bucket/prefix", settings.cache_dir)
    assert isinstance(open_store(settings.bronze_root, SNAPS).location, ObjectLocation)


def test_the_archive_job_archives_the_bucket(
    s3: S3Server, local_bronze: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sec_assets.bronze.archive_job import archive_bronze
    from sec_assets.resources import local_resources

    url = s3.bucket()
    bronze_copy(local_bronze, url)
    monkeypatch.setenv("SEC_BRONZE_URL", url)
    resources = local_resources(tmp_path / "data")
    dry = archive_bronze.execute_in_process(
        resources=resources,
        run_config={"ops": {"bronze_archive": {"config": {"horizon_months": 1, "dry_run": True}}}},
    )
    [said] = dry.asset_observations_for_node("bronze_archive")  # what would move, from a listing
    assert said.metadata["months_due"].value == 1
    assert said.metadata["hot_files_due"].value == len(objects.list_sizes(url, f"{SNAPS}/"))
    assert not dry.asset_materializations_for_node("bronze_archive")
    result = archive_bronze.execute_in_process(
        resources=resources,
        run_config={"ops": {"bronze_archive": {"config": {"horizon_months": 1}}}},
    )
    [mat] = result.asset_materializations_for_node("bronze_archive")
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["archived"] == [f"{SNAPS}/{M}"]
    [(name, sha)] = meta["checksums"].items()  # type: ignore[union-attr]
    assert name == f"_archive/{SNAPS}/month={M}.tar.gz"
    assert objects.get(url, f"{name}.sha256").decode().split()[0] == sha
    assert objects.list_sizes(url, f"{SNAPS}/") == {}
    assert not (tmp_path / "data" / "bronze").exists()  # nothing of bronze on this machine

"""Cold archive of bronze months: lossless round trip, verification before deletion, corrupt
archives refused whole, idempotent re-runs and generations, and which months are due."""

import gzip
import hashlib
import io
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from sec_assets.bronze import archive, archive_write
from sec_assets.bronze.archive import (
    ArchiveConflictError,
    ArchiveCorruptError,
    ArchivedMonth,
    ArchiveError,
    ArchiveSidecarError,
    archive_due,
    archive_month,
    cutoff_month,
    month_store,
    months_due,
    resolve_horizon,
    restore_month,
)
from sec_assets.bronze.store import BRONZE_GZIP_LEVEL, BronzeStore, body_bytes, read_envelope
from sec_assets.sec_client.exchange import Attempt

DS = "sec_snapshots"
MONTH = "2024-08"
T0 = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)


def _attempt(key: str, body: bytes | None, outcome: str, n: int = 1, at: datetime = T0) -> Attempt:
    status = 200 if body is not None else None
    return Attempt(
        "GetPorFecha", "http://x/GetPorFecha", {"anho": 2024}, key, n, at, 9.5, status, {}, body,
        outcome,
    )  # fmt: skip


def fill(root: Path, month: str = MONTH, hours: int = 6) -> BronzeStore:
    """A month with valid answers, an empty one, a failed try and a non-UTF-8 body."""
    store = BronzeStore(root, DS)
    for h in range(hours):
        body = orjson.dumps([{"NOMBRE_COMUNA": "Ñuñoa", "CLIENTES_AFECTADOS": h}])
        store.write(month, _attempt(f"{month}-01T{h:02d}", body, "ok"))
    store.write(month, _attempt(f"{month}-02T00", b"[]", "empty"))
    store.write(month, _attempt(f"{month}-02T01", None, "transport_error"))
    store.write(month, _attempt(f"{month}-02T01", b"\xff\xfe<html>\xe9</html>", "invalid_body", 2))
    return store


def digests(store: BronzeStore, month: str = MONTH) -> dict[str, str]:
    return {
        f.path.relative_to(store.root).as_posix(): hashlib.sha256(f.path.read_bytes()).hexdigest()
        for f in store.files(month)
    }


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.name.startswith((".tmp-", ".restore-")))


def test_archive_then_restore_is_byte_for_byte(tmp_path: Path) -> None:
    store = fill(tmp_path)
    before = digests(store)
    mtimes = {f.path.name: int(f.path.stat().st_mtime) for f in store.files(MONTH)}
    result = archive_month(tmp_path, DS, MONTH)

    assert not store.month_dir(MONTH).exists() and store.files(MONTH) == []
    assert (result.files, result.deleted, result.left_hot) == (len(before), len(before), 0)
    [gen] = ArchivedMonth(tmp_path, DS, MONTH).generations()
    assert gen.path == tmp_path / "_archive" / DS / f"month={MONTH}.tar.gz"
    assert gen.sidecar.read_text() == f"{result.sha256}  month={MONTH}.tar.gz\n"
    assert gen.verify_checksum() == hashlib.sha256(gen.path.read_bytes()).hexdigest()
    manifest = gen.manifest()
    assert manifest["format"] == archive.FORMAT and manifest["dataset"] == DS
    assert manifest["count"] == len(before) and manifest["generation"] == 1
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == before
    assert (
        result.bytes_before == manifest["bytes"] and result.bytes_after == gen.path.stat().st_size
    )

    restored = restore_month(tmp_path, DS, MONTH)
    assert len(restored) == len(before) and digests(store) == before
    assert {f.path.name: int(f.path.stat().st_mtime) for f in store.files(MONTH)} == mtimes
    bodies = [body_bytes(read_envelope(f.path)) for f in store.files(MONTH)]
    assert b"\xff\xfe<html>\xe9</html>" in bodies and None in bodies
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("where", [0.1, 0.5, 0.95], ids=["head", "middle", "tail"])
def test_flipped_byte_is_refused_naming_the_archive_and_restores_nothing(
    tmp_path: Path, where: float
) -> None:
    store = fill(tmp_path)
    archive_month(tmp_path, DS, MONTH)
    [gen] = ArchivedMonth(tmp_path, DS, MONTH).generations()
    raw = bytearray(gen.path.read_bytes())
    raw[int(len(raw) * where)] ^= 0x01
    gen.path.write_bytes(bytes(raw))

    with pytest.raises(ArchiveCorruptError, match=r"month=2024-08\.tar\.gz"):
        restore_month(tmp_path, DS, MONTH)
    assert not store.month_dir(MONTH).exists() and leftovers(tmp_path) == []


def rewrite_member(gen_path: Path, tamper: str) -> None:
    """Re-pack the archive with one member's bytes changed, the manifest and sidecar kept
    consistent with the archive file (what a bit flip before the first checksum would do)."""
    with tarfile.open(gen_path, "r:gz") as tar:
        members = [(i, tar.extractfile(i).read()) for i in tar.getmembers()]  # type: ignore[union-attr]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in members:
            data = bytes([data[0] ^ 1]) + data[1:] if info.name == tamper else data
            tar.addfile(info, io.BytesIO(data))
    gen_path.write_bytes(buf.getvalue())
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    gen_path.with_name(gen_path.name + ".sha256").write_text(f"{digest}  {gen_path.name}\n")


def test_member_not_matching_the_manifest_is_named(tmp_path: Path) -> None:
    store = fill(tmp_path)
    victim = sorted(digests(store))[3]
    archive_month(tmp_path, DS, MONTH)
    [gen] = ArchivedMonth(tmp_path, DS, MONTH).generations()
    rewrite_member(gen.path, victim)

    with pytest.raises(ArchiveCorruptError, match=f"member {victim}"):
        restore_month(tmp_path, DS, MONTH)
    assert not store.month_dir(MONTH).exists() and leftovers(tmp_path) == []


def _flip_after_write(real):
    def write(path: Path, *args, **kwargs) -> None:
        real(path, *args, **kwargs)
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(raw))

    return write


def _lie_in_manifest(real):
    def write(path: Path, manifest: bytes, *args, **kwargs) -> None:
        doc = orjson.loads(manifest)
        doc["files"][0]["sha256"] = "0" * 64
        real(path, orjson.dumps(doc), *args, **kwargs)

    return write


@pytest.mark.parametrize(
    "sabotage", [_flip_after_write, _lie_in_manifest], ids=["bytes_rot", "manifest_wrong"]
)
def test_failed_verification_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sabotage
) -> None:
    store = fill(tmp_path)
    before = digests(store)
    monkeypatch.setattr(archive_write, "write_tar", sabotage(archive_write.write_tar))

    with pytest.raises(ArchiveCorruptError):
        archive_month(tmp_path, DS, MONTH)
    assert digests(store) == before
    assert [p.name for p in (tmp_path / "_archive" / DS).iterdir()] == [".lock"]


def test_rerun_does_nothing(tmp_path: Path) -> None:
    fill(tmp_path)
    first = archive_month(tmp_path, DS, MONTH)
    again = archive_month(tmp_path, DS, MONTH)
    assert (again.archive, again.files, again.deleted) == (None, 0, 0)
    [gen] = ArchivedMonth(tmp_path, DS, MONTH).generations()
    assert gen.verify_checksum() == first.sha256


def test_late_refetch_becomes_a_second_generation(tmp_path: Path) -> None:
    store = fill(tmp_path)
    archive_month(tmp_path, DS, MONTH)
    late = _attempt(f"{MONTH}-01T03", b'[{"x": 1}]', "ok", at=T0 + timedelta(days=400))
    store.write(MONTH, late)
    result = archive_month(tmp_path, DS, MONTH)

    assert result.archive and result.archive.endswith(f"month={MONTH}.g2.tar.gz")
    assert result.files == 1 and not store.month_dir(MONTH).exists()
    gens = ArchivedMonth(tmp_path, DS, MONTH).generations()
    assert [g.number for g in gens] == [1, 2] and gens[1].manifest()["count"] == 1
    restore_month(tmp_path, DS, MONTH)
    assert store.versions(MONTH)[f"{MONTH}-01T03"] == 2
    assert store.latest_good(MONTH)[f"{MONTH}-01T03"].fetched_at == late.fetched_at


def test_restored_month_is_removed_again_without_a_new_generation(tmp_path: Path) -> None:
    """Also what finishes a run killed while deleting: archived files still hot go."""
    store = fill(tmp_path)
    count = len(store.files(MONTH))
    archive_month(tmp_path, DS, MONTH)
    restore_month(tmp_path, DS, MONTH)
    result = archive_month(tmp_path, DS, MONTH)
    assert (result.archive, result.files, result.deleted) == (None, 0, count)
    assert not store.month_dir(MONTH).exists()
    assert len(ArchivedMonth(tmp_path, DS, MONTH).generations()) == 1


def test_half_written_archive_without_sidecar_is_refused_never_overwritten(
    tmp_path: Path,
) -> None:
    """An archive file without its sidecar is never taken for an empty month nor replaced:
    archiving stops, naming it; once it is moved aside, archiving proceeds (issue 11.3)."""
    store = fill(tmp_path)
    before = digests(store)
    orphan = tmp_path / "_archive" / DS / f"month={MONTH}.tar.gz"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half an archive")
    with pytest.raises(ArchiveSidecarError, match="archive-sidecar"):
        archive_month(tmp_path, DS, MONTH)
    assert orphan.read_bytes() == b"half an archive" and digests(store) == before
    with pytest.raises(ArchiveCorruptError):
        archive.rederive_sidecar(orphan)  # garbage: no sidecar is made up for it
    assert not orphan.with_name(orphan.name + ".sha256").exists()
    orphan.rename(tmp_path / "moved-aside.tar.gz")
    archive_month(tmp_path, DS, MONTH)
    restore_month(tmp_path, DS, MONTH)
    assert digests(store) == before


def test_hot_file_differing_from_its_archived_copy_is_kept(tmp_path: Path) -> None:
    store = fill(tmp_path)
    count = len(store.files(MONTH))
    archive_month(tmp_path, DS, MONTH)
    restore_month(tmp_path, DS, MONTH)
    victim = store.files(MONTH)[0].path
    victim.write_bytes(b"not what was archived")
    with pytest.raises(ArchiveConflictError, match=victim.name):
        archive_month(tmp_path, DS, MONTH)
    assert len(store.files(MONTH)) == count
    with pytest.raises(ArchiveConflictError):
        restore_month(tmp_path, DS, MONTH)
    assert victim.read_bytes() == b"not what was archived" and leftovers(tmp_path) == []


def test_a_hot_file_at_another_gzip_level_is_its_archived_copy(tmp_path: Path) -> None:
    """Same name, same envelope, other gzip bytes (a file written again by a writer at another
    level, e.g. level 9 as bronze was once written): archiving deletes it as already archived,
    restoring keeps it."""
    store = fill(tmp_path)
    archive_month(tmp_path, DS, MONTH)
    restore_month(tmp_path, DS, MONTH)
    victim = store.files(MONTH)[0].path
    archived = victim.read_bytes()
    level = 9 if BRONZE_GZIP_LEVEL != 9 else 1
    other = gzip.compress(gzip.decompress(archived), compresslevel=level, mtime=0)
    assert other != archived
    victim.write_bytes(other)
    assert restore_month(tmp_path, DS, MONTH) == [] and victim.read_bytes() == other
    count = len(store.files(MONTH))
    result = archive_month(tmp_path, DS, MONTH)
    assert (result.archive, result.files, result.deleted) == (None, 0, count)
    assert not victim.exists() and len(ArchivedMonth(tmp_path, DS, MONTH).generations()) == 1
    restore_month(tmp_path, DS, MONTH)
    assert victim.read_bytes() == archived


def test_files_arriving_while_archiving_stay_hot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = fill(tmp_path)
    real = archive_write.write_generation
    late = _attempt(f"{MONTH}-03T00", b"[]", "empty", at=T0 + timedelta(days=1))

    def racing(*args, **kwargs):
        store.write(MONTH, late)  # a re-fetch lands between listing and deleting
        return real(*args, **kwargs)

    monkeypatch.setattr(archive_write, "write_generation", racing)
    result = archive_month(tmp_path, DS, MONTH)
    [left] = store.files(MONTH)
    assert left.key == late.key and result.left_hot == 1
    monkeypatch.undo()
    assert archive_month(tmp_path, DS, MONTH).archive.endswith(".g2.tar.gz")  # type: ignore[union-attr]


def test_temporaries_of_killed_writes_stay_hot(tmp_path: Path) -> None:
    store = fill(tmp_path)
    stray = store.files(MONTH)[0].path.parent / ".tmp-deadbeef"
    stray.write_bytes(b"partial")
    result = archive_month(tmp_path, DS, MONTH)
    assert result.left_hot == 1 and stray.exists() and store.files(MONTH) == []


def test_month_store_reads_archive_and_new_hot_files_without_restoring(tmp_path: Path) -> None:
    store = fill(tmp_path)
    before = digests(store)
    with month_store(tmp_path, DS, MONTH) as hot:
        assert hot.root == store.root  # nothing archived: the hot store itself
    archive_month(tmp_path, DS, MONTH)
    late = store.write(MONTH, _attempt(f"{MONTH}-03T00", b"[]", "empty"))
    with month_store(tmp_path, DS, MONTH) as merged:
        got = digests(merged)
        assert merged.root != store.root
    assert got == before | {late.relative_to(store.root).as_posix(): _sha(late)}
    assert [f.path for f in store.files(MONTH)] == [late]  # hot tree untouched


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_one_archived_file(tmp_path: Path) -> None:
    store = fill(tmp_path)
    first = store.files(MONTH)[0].path
    rel, data = first.relative_to(store.root).as_posix(), first.read_bytes()
    archive_month(tmp_path, DS, MONTH)
    assert ArchivedMonth(tmp_path, DS, MONTH).read(rel) == data
    with pytest.raises(KeyError):
        ArchivedMonth(tmp_path, DS, MONTH).read("month=2024-08/nope.json.gz")


def test_restore_without_archive_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive"):
        restore_month(tmp_path, DS, MONTH)


@pytest.mark.parametrize(
    ("now", "horizon", "cutoff"),
    [
        (datetime(2026, 5, 15, tzinfo=UTC), 24, "2024-05"),
        (datetime(2026, 5, 15, tzinfo=UTC), 1, "2026-04"),
        (datetime(2026, 1, 10, tzinfo=UTC), 13, "2024-12"),
        # 22:00 on 31 May in Chile: still May there, though June in UTC
        (datetime(2026, 6, 1, 2, 0, tzinfo=UTC), 1, "2026-04"),
    ],
)
def test_cutoff_month_counts_back_from_the_month_in_chile(
    now: datetime, horizon: int, cutoff: str
) -> None:
    assert cutoff_month(now, horizon) == cutoff


def test_horizon_explicit_then_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_horizon() == 24
    monkeypatch.setenv("SEC_ARCHIVE_AFTER_MONTHS", "6")
    assert resolve_horizon() == 6 and resolve_horizon(3) == 3
    with pytest.raises(ValueError, match="at least 1"):
        resolve_horizon(0)  # the open month is never archived


def test_only_months_before_the_horizon_are_archived(tmp_path: Path) -> None:
    for month in ("2023-12", "2026-03", "2026-04", "2026-05"):
        fill(tmp_path, month, hours=1)
    BronzeStore(tmp_path, "sec_customers").write(
        "2023-12", _attempt("region_13", b'[{"CLIENTES": 5}]', "ok")
    )
    now = datetime(2026, 5, 15, tzinfo=UTC)
    assert months_due(tmp_path, DS, cutoff_month(now, 1)) == ["2023-12", "2026-03"]
    done = archive_due(tmp_path, horizon_months=1, now=now)
    assert sorted((r.dataset, r.month) for r in done) == [
        ("sec_customers", "2023-12"),
        (DS, "2023-12"),
        (DS, "2026-03"),
    ]
    hot = sorted(p.name for p in (tmp_path / DS).iterdir())
    assert hot == ["month=2026-04", "month=2026-05"]  # the open month and the horizon stay
    assert archive_due(tmp_path, horizon_months=1, now=now) == []


def test_an_archived_month_counts_as_stored(tmp_path: Path) -> None:
    """Coverage, resume plans and sensors see archived answers: nothing is fetched again."""

    from sec_assets.bronze.collect import plan_month
    from sec_assets.month import Month

    store = fill(tmp_path)
    before = store.latest_good(MONTH)
    versions = store.versions(MONTH)
    archive_month(tmp_path, DS, MONTH)
    assert store.files(MONTH) == []  # nothing hot any more
    assert store.latest_good(MONTH).keys() == before.keys()
    assert store.versions(MONTH) == versions
    plan = plan_month(Month(2024, 8), store, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert not {h.key for h in plan.missing} & before.keys()

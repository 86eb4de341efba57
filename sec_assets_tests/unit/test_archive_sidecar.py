"""A lost or wrong ``.sha256`` sidecar: an error naming the archive and the verb that re-derives
it, never an empty month, never an overwritten archive (issue 11.3)."""

import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sec_assets.automation.coverage import month_coverage
from sec_assets.bronze import archive_write
from sec_assets.bronze.archive import (
    SIDECAR_VERB,
    ArchiveCorruptError,
    ArchivedMonth,
    ArchiveError,
    ArchiveSidecarError,
    archive_month,
    month_store,
    rederive_sidecar,
    restore_month,
)
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets_tests.unit.test_archive import DS, MONTH, T0, _attempt, digests, fill

ARCHIVE_NAME = f"month={MONTH}.tar.gz"


def archived(tmp_path: Path) -> tuple[BronzeStore, dict[str, str], Path]:
    store = fill(tmp_path)
    before = digests(store)
    archive_month(tmp_path, DS, MONTH)
    return store, before, tmp_path / "_archive" / DS / ARCHIVE_NAME


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lost_sidecar_fails_every_reader_loudly_naming_the_file_and_the_verb(
    tmp_path: Path,
) -> None:
    store, _, path = archived(tmp_path)
    path.with_name(ARCHIVE_NAME + ".sha256").unlink()
    expected = f"{SIDECAR_VERB} {path}"

    for read in (
        lambda: store.latest_good(MONTH),  # coverage, resume plans
        lambda: month_coverage(Month(2024, 8), tmp_path, now=datetime(2030, 1, 1, tzinfo=UTC)),
        lambda: month_store(tmp_path, DS, MONTH).__enter__(),  # silver
        lambda: restore_month(tmp_path, DS, MONTH),
    ):
        with pytest.raises(ArchiveSidecarError) as info:
            read()
        assert str(path) in str(info.value) and expected in str(info.value)


def test_next_archive_run_refuses_instead_of_overwriting(tmp_path: Path) -> None:
    """The reported sequence: sidecar lost, a late re-fetch lands hot, the archive runs again.
    Before: generation 1 was reused and replaced (747 files became 3)."""
    store, _, path = archived(tmp_path)
    path.with_name(ARCHIVE_NAME + ".sha256").unlink()
    old = sha(path)
    late = _attempt(f"{MONTH}-01T03", b'[{"x": 1}]', "ok", at=T0 + timedelta(days=400))
    store.write(MONTH, late)

    with pytest.raises(ArchiveSidecarError, match="archive-sidecar"):
        archive_month(tmp_path, DS, MONTH)
    assert sha(path) == old and len(store.files(MONTH)) == 1  # nothing replaced or deleted

    rederive_sidecar(path)
    result = archive_month(tmp_path, DS, MONTH)
    assert result.archive and result.archive.endswith(f"month={MONTH}.g2.tar.gz")
    assert sha(path) == old
    gens = ArchivedMonth(tmp_path, DS, MONTH).generations()
    assert [g.manifest()["count"] for g in gens] == [9, 1]


def test_the_cli_verb_rederives_the_sidecar_and_the_month_reads_again(tmp_path: Path) -> None:
    _, before, path = archived(tmp_path)
    sidecar = path.with_name(ARCHIVE_NAME + ".sha256")
    original = sidecar.read_text()
    sidecar.unlink()

    done = subprocess.run(
        [sys.executable, "-m", "sec_assets", "archive-sidecar", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "every member matches the manifest" in done.stdout
    assert sidecar.read_text() == original
    with month_store(tmp_path, DS, MONTH) as whole:
        assert digests(whole) == before


def test_wrong_sidecar_names_the_verb_and_is_kept_aside_when_rederived(tmp_path: Path) -> None:
    _, before, path = archived(tmp_path)
    sidecar = path.with_name(ARCHIVE_NAME + ".sha256")
    sidecar.write_text(f"{'0' * 64}  {ARCHIVE_NAME}\n")
    with pytest.raises(ArchiveSidecarError, match="does not match") as info:
        month_store(tmp_path, DS, MONTH).__enter__()
    assert SIDECAR_VERB in str(info.value)
    sidecar.write_text("")  # unreadable, too
    with pytest.raises(ArchiveSidecarError, match="archive-sidecar"):
        BronzeStore(tmp_path, DS).latest_good(MONTH)

    rederive_sidecar(path)
    assert sidecar.read_text() == f"{sha(path)}  {ARCHIVE_NAME}\n"
    assert [p.name for p in path.parent.glob("*.bad-*")]  # the wrong one is kept for a look
    with month_store(tmp_path, DS, MONTH) as whole:
        assert digests(whole) == before


def test_a_corrupt_archive_gets_no_sidecar(tmp_path: Path) -> None:
    _, _, path = archived(tmp_path)
    sidecar = path.with_name(ARCHIVE_NAME + ".sha256")
    sidecar.unlink()
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    done = subprocess.run(
        [sys.executable, "-m", "sec_assets", "archive-sidecar", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and str(path) in done.stderr
    assert not sidecar.exists()


def test_a_lost_archive_or_generation_is_an_error(tmp_path: Path) -> None:
    store, _, path = archived(tmp_path)
    store.write(MONTH, _attempt(f"{MONTH}-05T00", b"[]", "empty", at=T0 + timedelta(days=9)))
    archive_month(tmp_path, DS, MONTH)  # generation 2
    path.unlink()  # generation 1 lost, its sidecar still there
    with pytest.raises(ArchiveCorruptError, match="has no archive"):
        store.latest_good(MONTH)
    path.with_name(ARCHIVE_NAME + ".sha256").unlink()
    with pytest.raises(ArchiveCorruptError, match="one is missing"):
        store.latest_good(MONTH)


def test_publishing_never_replaces_a_file(tmp_path: Path) -> None:
    final, tmp = tmp_path / "a.tar.gz", tmp_path / ".tmp-a"
    final.write_bytes(b"archived")
    tmp.write_bytes(b"new")
    with pytest.raises(ArchiveError, match="never overwritten"):
        archive_write.publish_new(tmp, final)
    assert final.read_bytes() == b"archived"


def test_the_retention_asset_archives_the_other_months_and_fails_naming_the_refused_one(
    tmp_path: Path,
) -> None:
    from sec_assets.bronze.archive_job import archive_bronze
    from sec_assets.resources import local_resources

    root = tmp_path / "bronze"
    store, _, path = archived(root)
    path.with_name(ARCHIVE_NAME + ".sha256").unlink()
    old = sha(path)
    store.write(MONTH, _attempt(f"{MONTH}-05T00", b"[]", "empty", at=T0 + timedelta(days=9)))
    fill(root, "2023-12", hours=2)

    result = archive_bronze.execute_in_process(
        resources=local_resources(tmp_path),
        run_config={"ops": {"bronze_archive": {"config": {"horizon_months": 1}}}},
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = str(failure.step_failure_data.error)
    assert f"{DS}/{MONTH}" in text and f"{SIDECAR_VERB} {path}" in text
    assert sha(path) == old and len(store.files(MONTH)) == 1  # nothing replaced or deleted
    assert ArchivedMonth(root, DS, "2023-12").exists and store.files("2023-12") == []


def test_a_run_killed_between_archive_and_sidecar_is_finished_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive is published, its sidecar not yet (a kill -9 there, or a reader looking
    meanwhile): every file is still hot, so readers read those, and the next run finishes it."""
    store = fill(tmp_path)
    before = digests(store)
    latest = store.latest_good(MONTH)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed between the archive and its sidecar")

    monkeypatch.setattr(archive_write, "write_sidecar", killed)
    with pytest.raises(KeyboardInterrupt):
        archive_month(tmp_path, DS, MONTH)
    monkeypatch.undo()
    path = tmp_path / "_archive" / DS / ARCHIVE_NAME
    assert path.exists() and not path.with_name(ARCHIVE_NAME + ".sha256").exists()
    assert digests(store) == before and store.latest_good(MONTH).keys() == latest.keys()
    with month_store(tmp_path, DS, MONTH) as whole:
        assert digests(whole) == before

    result = archive_month(tmp_path, DS, MONTH)
    assert result.archive is None and result.deleted == len(before)  # finished, not redone
    [gen] = ArchivedMonth(tmp_path, DS, MONTH).generations()
    assert gen.verify_checksum() == sha(path)
    restore_month(tmp_path, DS, MONTH)
    assert digests(store) == before


def test_the_suggested_command_is_safe_to_paste_whatever_the_path(tmp_path: Path) -> None:
    """A data folder whose name holds spaces and ``$(…)``: the command in the error, pasted into
    a shell, re-derives the sidecar of that very archive and runs nothing else."""
    root = tmp_path / "my data $(touch pwned) `touch pwned2`; touch pwned3"
    _, before, path = archived(root)
    path.with_name(ARCHIVE_NAME + ".sha256").unlink()
    with pytest.raises(ArchiveSidecarError) as info:
        BronzeStore(root, DS).latest_good(MONTH)
    message = str(info.value)
    command = message.partition(f"`{SIDECAR_VERB}")[2].rpartition("` (it verifies")[0]
    command = SIDECAR_VERB + command
    python = Path(sys.executable).parent
    done = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": f"{python}:/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [root.name]  # no pwned* file
    with month_store(root, DS, MONTH) as whole:
        assert digests(whole) == before

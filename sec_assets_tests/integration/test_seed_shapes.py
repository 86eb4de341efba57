"""The seed's archives as the seed writes them (fixtures/seed/, docs/seed_archives.md): every
layout imports, a mostly unusable archive fails the CLI and the asset with its counts, each
envelope says it came from the seed's archive and the month's cadence, and a killed writer's
temporary files are removed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from sec_assets.bronze.import_report import ImportReport, rejection_error
from sec_assets.bronze.importer import import_archive
from sec_assets.bronze.store import BronzeStore, read_envelope
from sec_sim.seed_archive import (
    historical_point,
    metadata_of,
    point,
    write_archive,
    write_dataset,
    write_point_list,
)

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"
YEAR_FILE = SEED / "checkpoint_2024.json"
POINT_LIST = SEED / "scrape_date_range_2024-08-03.json"
ROW = {"NOMBRE_REGION": "Metropolitana", "NOMBRE_COMUNA": "Maipu", "CLIENTES_AFECTADOS": 10}


def _envelopes(data: Path, month: str = "2024-08") -> dict[str, dict]:
    store = BronzeStore(data / "bronze", "sec_snapshots")
    return {f.key: read_envelope(f.path) for f in store.files(month)}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "sec_assets.bronze.importer", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _mostly_unusable(path: Path) -> Path:
    """August 2024, 4 points a day for 2 days: 2 readable, 6 without the hour they asked for
    (the date under a key the seed never wrote)."""
    good = [point(2024, 8, 1, h, [ROW]) for h in (0, 6)]
    late = [(1, 12), (1, 18), (2, 0), (2, 6), (2, 12), (2, 18)]
    bad = [{"success": True, "fecha": f"2024-08-0{d}", "hora": h, "data": [ROW]} for d, h in late]
    write_archive(path, good + bad, metadata_of(good + bad, 2024))
    return path


def test_cli_imports_a_year_file_written_as_the_seed_writes_it(tmp_path: Path):
    data = tmp_path / "data"
    done = _cli("--data-dir", str(data), str(YEAR_FILE))
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert report["points"] == 8 and report["imported"] == 8
    assert report["quarantined"] == 0 and report["rejected"] == 0
    assert report["outcomes"] == {"empty": 1, "ok": 6, "seed_failed": 1}
    docs = _envelopes(data)
    hours = [f"2024-08-0{d}T{h:02d}" for d in (1, 2) for h in (0, 6, 12, 18)]
    assert sorted(docs) == hours
    assert docs["2024-08-02T12"]["customers"] == 55935 + 101233
    assert docs["2024-08-02T12"]["fetched_at"] == "2024-08-02T16:02:00+00:00"  # server time
    assert docs["2024-08-01T18"]["outcome"] == "seed_failed"


@pytest.mark.parametrize("layout", ["data", "data_by_year", "list"])
def test_every_layout_the_seed_writes_imports_the_same_hours(tmp_path: Path, layout: str):
    points = orjson.loads(POINT_LIST.read_bytes())
    path = tmp_path / "archive.json"
    if layout == "data":
        write_archive(path, points, metadata_of(points, 2024))
    elif layout == "data_by_year":
        write_dataset(path, {2023: [], 2024: points})
    else:
        write_point_list(path, points)
    report = import_archive(path, tmp_path / "data")
    assert report.layout == layout and report.rejected == 0
    docs = _envelopes(tmp_path / "data")
    assert sorted(docs) == [f"2024-08-03T{h:02d}" for h in (0, 6, 12, 18)]
    assert docs["2024-08-03T12"]["customers"] == 3021 + 12
    assert docs["2024-08-03T06"]["outcome"] == "empty"
    assert docs["2024-08-03T18"]["fetched_at"] == "2024-08-03T22:07:00+00:00"  # hora_server


def test_every_envelope_says_it_came_from_the_seed_archive_and_the_months_cadence(
    tmp_path: Path,
):
    import_archive(YEAR_FILE, tmp_path / "data")
    store = BronzeStore(tmp_path / "data" / "bronze", "sec_snapshots")
    files = store.files("2024-08")
    assert files and {f.attempt for f in files} == {0}
    assert all("-a0-" in f.path.name for f in files)
    for f in files:
        imported = read_envelope(f.path)["imported"]
        assert imported["source"] == "seed_archive"
        assert imported["source_file"] == "checkpoint_2024.json"
        assert imported["month_cadence"] == {"sampled_hours": [0, 6, 12, 18], "points_per_day": 4}


def test_cli_fails_when_most_points_are_unusable_and_keeps_everything(tmp_path: Path):
    data = tmp_path / "data"
    done = _cli("--data-dir", str(data), str(_mostly_unusable(tmp_path / "checkpoint_2024.json")))
    assert done.returncode == 1
    report = orjson.loads(done.stdout)
    assert report["points"] == 8 and report["imported"] == 2
    assert report["rejected_by_reason"] == {"no_date": 6}
    assert "6 of 8 points unusable (75.0%" in done.stderr
    assert "point 2: no_date" in done.stderr
    quarantine = data / "bronze" / "_import_quarantine"
    assert len(list(quarantine.rglob("*.json.gz"))) == 6  # nothing lost
    assert sorted(_envelopes(data)) == ["2024-08-01T00", "2024-08-01T06"]
    loose = _cli("--data-dir", str(data), "--max-rejected-share", "0.8", str(YEAR_FILE))
    assert loose.returncode == 0, loose.stderr


def test_rows_that_fail_validation_count_as_unusable(tmp_path: Path):
    points = [point(2024, 8, 1, h, [ROW]) for h in (0, 6, 12)]
    points.append(point(2024, 8, 1, 18, [{"FOO": 1}]))
    path = tmp_path / "checkpoint_2024.json"
    write_archive(path, points, metadata_of(points, 2024))
    report = import_archive(path, tmp_path / "data")
    assert report.rejected == 1 and report.quarantined == 0
    assert report.rejected_by_reason == {"schema_error": 1}
    assert rejection_error(report, 0.05) is not None and rejection_error(report, 0.25) is None


@pytest.mark.parametrize(
    ("rejected", "points", "fails"),
    [(0, 100, False), (5, 100, False), (6, 100, True), (1, 1, True), (0, 0, False)],
)
def test_the_rejection_rule_is_a_share_of_the_points_read(rejected, points, fails):
    report = ImportReport("a.json", "0" * 64, 1, points=points)
    for i in range(rejected):
        report.reject(i, "no_date", "no 'fecha_consultada'")
    assert (rejection_error(report, 0.05) is not None) is fails


def test_the_import_removes_the_temporary_files_a_killed_writer_left(tmp_path: Path):
    data = tmp_path / "data"
    key_dir = data / "bronze" / "sec_snapshots" / "month=2024-08" / "2024-08-01T00"
    key_dir.mkdir(parents=True)
    orphan = key_dir / ".tmp-0123456789abcdef"
    orphan.write_bytes(b"half a gzip")
    report = import_archive(YEAR_FILE, data)
    assert not orphan.exists() and report.orphans_removed == 1
    assert not list((data / "bronze").rglob(".tmp-*"))


def test_historical_point_and_year_point_have_the_seeds_keys():
    assert list(historical_point(2024, 8, 3, 0, [])) == ["data", "hora_server", "fecha_consultada"]
    assert set(point(2024, 8, 3, 0, [])) == {
        "success",
        "fecha_consultada",
        "hora_server_scraping",
        "data",
    }
    assert set(point(2024, 8, 3, 0, None)) == {"success", "fecha_consultada", "error", "data"}

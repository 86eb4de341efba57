"""The seed-archive importer: both eras, failures, a zero-row point, non-ASCII names; silver
and coverage read imported hours; idempotent; a later fetch adds a version; corrupt and
truncated files fail with the byte offset and write nothing of the month they were in."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from sec_assets.automation.coverage import month_coverage
from sec_assets.bronze.importer import CorruptArchiveError, import_archive
from sec_assets.bronze.store import BronzeStore, body_bytes, read_envelope
from sec_assets.month import LocalHour, Month
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets.silver.load import load_observations
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets_tests.conftest import fast_settings
from sec_sim import SimConfig
from sec_sim.seed_archive import metadata_of, point, sim_points, write_archive
from sec_sim.service import SimService

FAILED = ["2024-07-03T06", "2024-07-10T12"]


def _points() -> list[dict]:
    """July 2024 in the legacy era and August 2024 in the current one, 4 points a day, two
    failures, one zero-row point and a non-ASCII comuna name."""
    legacy = SimService(SimConfig(seed=5, era="legacy"))
    current = SimService(SimConfig(seed=5, era="current"))
    july = list(sim_points(legacy, 2024, 7, failed=FAILED))
    august = list(sim_points(current, 2024, 8))
    august[1] = point(2024, 8, 1, 6, [])  # answered, nobody without power
    august[2]["data"].append(
        {"NOMBRE_REGION": "Ñuble", "NOMBRE_COMUNA": "Quillón", "CLIENTES_AFECTADOS": 7}
    )
    return july + august


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    points = _points()
    path = tmp_path_factory.mktemp("seed") / "checkpoint_2024.json"
    write_archive(path, points, metadata_of(points, 2024))
    return path


def _docs(data: Path, month: str) -> list[dict]:
    store = BronzeStore(data / "bronze", "sec_snapshots")
    return [read_envelope(f.path) for f in store.files(month)]


def test_import_writes_every_point_as_an_exchange_of_its_hour(archive: Path, tmp_path: Path):
    data = tmp_path / "data"
    report = import_archive(archive, data)
    assert report.points == 31 * 4 * 2
    assert report.written == report.points
    assert report.outcomes == {"ok": 245, "empty": 1, "seed_failed": 2}
    july, august = _docs(data, "2024-07"), _docs(data, "2024-08")
    assert {d["era"] for d in july if d["outcome"] == "ok"} == {"legacy"}
    assert {d["era"] for d in august if d["outcome"] == "ok"} == {"current"}
    failed = sorted(d["key"] for d in july if d["outcome"] == "seed_failed")
    assert failed == FAILED
    assert all(d["body"] == "[]" and d["rows"] is None for d in july if d["key"] in FAILED)
    # byte-faithful rows: the stored body is the point's rows, non-ASCII kept as text
    src = {p["fecha_consultada"]: p for p in json.loads(archive.read_text("utf-8"))["data"]}
    third = next(d for d in august if d["key"] == "2024-08-01T12")
    assert orjson.loads(body_bytes(third)) == src["2024-08-01 12:00"]["data"]
    assert "Quillón" in third["body"]
    meta = third["imported"]
    assert meta["source_file"] == "checkpoint_2024.json"
    assert meta["source_sha256"] == report.sha256 and meta["point_index"] == 124 + 2
    assert meta["point"]["hora_server_scraping"] == "01/08/2024 12:05"
    assert third["attempt"] == 0 and third["fetched_at"].startswith("2024-08-01T16:05")


def test_silver_and_coverage_treat_imported_hours_as_answered(archive: Path, tmp_path: Path):
    data = tmp_path / "data"
    import_archive(archive, data)
    cov = month_coverage(
        Month(2024, 7), data / "bronze", now=datetime(2025, 1, 1, tzinfo=UTC), hours_per_day=4
    )
    assert cov.missing_hours == len(FAILED)  # failed points stay failed: not covered
    wh = DuckDBWarehouse(tmp_path / "wh.duckdb")
    wh.ensure_schema()
    from sec_assets.silver.load import load_dimension

    for name in ("dim_geografia", "dim_empresa", "dim_tiempo"):
        load_dimension(wh, name)
    store = BronzeStore(data / "bronze", "sec_snapshots")
    ledger = load_observations(wh, store, Month(2024, 7), hours_per_day=4).silver.ledger
    status = dict(ledger.select("hour_key", "status").iter_rows())
    assert [k for k, s in status.items() if s == "failed"] == FAILED
    assert ledger.filter(ledger["hour_key"].is_in(FAILED))["customers"].to_list() == [0, 0]
    assert sum(s == "ok" for s in status.values()) == 124 - 2
    assert wh.read("SELECT COUNT(*) AS n FROM silver.fact_interrupciones")["n"].item() > 0


def test_same_file_twice_adds_nothing(archive: Path, tmp_path: Path):
    data = tmp_path / "data"
    first = import_archive(archive, data)
    files = sorted(p.name for p in (data / "bronze").rglob("*.json.gz"))
    again = import_archive(archive, data)
    assert again.written == 0 and again.already_present == first.points
    assert sorted(p.name for p in (data / "bronze").rglob("*.json.gz")) == files


def test_a_later_fetch_adds_a_version(archive: Path, tmp_path: Path, sim):
    data = tmp_path / "data"
    import_archive(archive, data)
    store = BronzeStore(data / "bronze", "sec_snapshots")
    hour = LocalHour(date(2024, 8, 2), 12)
    imported = store.latest_good("2024-08")[hour.key]

    async def fetch():
        settings = fast_settings(sim.base_url, data_dir=str(data))
        async with SecClient(settings, CircuitBreaker(tmp_path / "breaker.json")) as client:
            result = await client.fetch_snapshot(hour)
        for attempt in result.attempts:
            store.write("2024-08", attempt)

    asyncio.run(fetch())
    assert store.versions("2024-08")[hour.key] == 2
    newest = store.latest_good("2024-08")[hour.key]
    assert newest.attempt >= 1 and newest.path != imported.path and imported.path.exists()


def test_truncated_file_fails_with_offset_and_keeps_its_month_out(archive: Path, tmp_path: Path):
    raw = archive.read_bytes()
    cut = raw.index(b'"fecha_consultada": "2024-08-20')  # inside August
    bad = tmp_path / "checkpoint_trunc.json"
    bad.write_bytes(raw[:cut])
    data = tmp_path / "data"
    with pytest.raises(CorruptArchiveError) as err:
        import_archive(bad, data)
    assert err.value.month == "2024-08" and err.value.offset == cut
    assert f"byte {cut:,}" in str(err.value)
    assert len(_docs(data, "2024-07")) == 124  # the month completed before the cut
    assert _docs(data, "2024-08") == []


def test_corrupt_byte_fails_near_its_offset_writing_nothing_of_its_month(
    archive: Path, tmp_path: Path
):
    raw = bytearray(archive.read_bytes())
    at = raw.index(b'"fecha_consultada": "2024-07-15')
    raw[at] = ord("#")
    bad = tmp_path / "checkpoint_bad.json"
    bad.write_bytes(bytes(raw))
    data = tmp_path / "data"
    with pytest.raises(CorruptArchiveError) as err:
        import_archive(bad, data)
    assert err.value.month == "2024-07"
    assert at < err.value.offset <= at + 64 * 1024 + 1
    assert not (data / "bronze" / "sec_snapshots").exists()


def test_unreadable_point_is_quarantined(tmp_path: Path):
    points = [point(2024, 8, 1, 0, []), {"success": True, "data": []}, "junk"]
    path = tmp_path / "checkpoint_2024.json"
    write_archive(path, points, metadata_of([p for p in points if isinstance(p, dict)], 2024))
    report = import_archive(path, tmp_path / "data")
    assert report.quarantined == 2 and report.written == 1
    assert report.rejected_by_reason == {"no_date": 1, "not_an_object": 1}
    quarantined = list((tmp_path / "data" / "bronze" / "_import_quarantine").rglob("*.json.gz"))
    assert len(quarantined) == 2


def test_cli_imports_and_reports_corruption(archive: Path, tmp_path: Path):
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "sec_assets.bronze.importer", "--data-dir", str(data)]
    done = subprocess.run([*cmd, str(archive)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["written"] == 248
    bad = tmp_path / "checkpoint_bad.json"
    bad.write_bytes(archive.read_bytes()[:5000])
    done = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "at or before byte 5,000" in done.stderr


def test_import_seed_job_imports_one_month(archive: Path, tmp_path: Path):
    from sec_assets.bronze.import_job import import_seed
    from sec_assets.resources import local_resources

    data = tmp_path / "data"
    config = {"ops": {"sec_seed_import": {"config": {"archive_dir": str(archive.parent)}}}}
    result = import_seed.execute_in_process(
        partition_key="2024-08",
        resources=local_resources(data),
        run_config=config,
    )
    assert result.success
    meta = result.asset_materializations_for_node("sec_seed_import")[0].metadata
    assert meta["written"].value == 124 and meta["outcomes"].value == {"ok": 123, "empty": 1}
    assert _docs(data, "2024-07") == []  # only the partition's month


_PEAK = (
    "import sys; from sec_assets.bronze.importer import main; rc = main(sys.argv[1:]); "
    "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0], file=sys.stderr); "
    "sys.exit(rc)"
)


def _vm_hwm_kb(stderr: str) -> int:
    line = next(x for x in stderr.splitlines() if x.startswith("VmHWM"))
    return int(line.split()[1])


@pytest.mark.bigdata
@pytest.mark.timeout(900)
def test_a_200_mb_archive_imports_in_bounded_memory(tmp_path: Path):
    from sec_sim.seed_archive import write_bulk_archive

    path = tmp_path / "checkpoint_2023.json"
    size = write_bulk_archive(path, 2023, 320)
    assert size >= 200e6
    just_import = _PEAK.replace("rc = main(sys.argv[1:])", "rc = 0")
    base = subprocess.run(
        [sys.executable, "-c", just_import], capture_output=True, text=True, timeout=120
    )
    cmd = [sys.executable, "-c", _PEAK, "--data-dir", str(tmp_path / "data"), str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["points"] == 1460
    peak, baseline = _vm_hwm_kb(done.stderr) * 1024, _vm_hwm_kb(base.stderr) * 1024
    # Bounded by a month of points, not by the file: the import holds one month's text and
    # its parsed frames at a time, about two months' worth of the year's file (size / 12 each).
    assert peak < size / 2, (peak, size)
    assert peak - baseline < 2 * size / 12, (peak, baseline, size)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_month_through_the_dagster_cli(archive: Path, tmp_path: Path):
    """What a user runs: ``dagster job execute -j import_seed`` with SEC_SEED_ARCHIVE_DIR set."""
    import os

    from sec_assets_tests.cli import run_job

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(tmp_path / "home"),
        SEC_DATA_DIR=str(tmp_path / "data"),
        SEC_SEED_ARCHIVE_DIR=str(archive.parent),
    )
    (tmp_path / "home").mkdir()
    done = run_job("import_seed", env=env, partition="2024-07", timeout=500)
    assert done.returncode == 0, done.stderr[-3000:]
    docs = _docs(tmp_path / "data", "2024-07")
    assert len(docs) == 124 and {d["imported"]["source_file"] for d in docs} == {archive.name}

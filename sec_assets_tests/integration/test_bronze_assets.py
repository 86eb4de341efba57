"""Bronze assets materialized for real: Dagster in-process and through the CLI, real HTTP to the
simulator, real files. Every fault class ends stored-and-retried or failed-loudly."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_customers, sec_snapshots
from sec_assets.bronze.store import BronzeStore, read_envelope
from sec_assets.resources import Resources, local_resources
from sec_assets_tests.state_stores import StateBackend
from sec_sim import FaultRule

REPO = Path(__file__).resolve().parents[2]


def resources(
    sim, data_dir: Path, concurrency: int = 8, hours_per_day: int | None = None
) -> Resources:
    return local_resources(
        data_dir,
        base_url=sim.base_url,
        hours_per_day=hours_per_day,
        max_concurrency=concurrency,
        requests_per_second=2000,
        max_attempts=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        retry_after_max_s=0.05,
        read_timeout_s=60,  # the first request of a month is slow on a loaded machine
    )


def materialize(
    sim, data_dir: Path, partition: str, assets=None, concurrency: int = 8, hours_per_day=None
):
    return dg.materialize(
        assets or [sec_snapshots],
        partition_key=partition,
        resources=resources(sim, data_dir, concurrency, hours_per_day),
        raise_on_error=False,
    )


def snapshot_metadata(result) -> dict[str, object]:
    [mat] = result.asset_materializations_for_node("sec_snapshots")
    return {k: v.value for k, v in mat.metadata.items()}


def requests_of(sim, method: str = "GetPorFecha") -> list:
    return [e for e in sim.request_log() if e[0] == method]


def good_files_per_hour(data_dir: Path, month: str) -> dict[str, int]:
    store = BronzeStore(data_dir / "bronze", "sec_snapshots")
    return {k: v for k, v in store.versions(month).items() if k != "server_time"}


def test_month_is_stored_losslessly_and_rerun_fetches_nothing(sim, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = materialize(sim, data, "2024-08")
    assert result.success
    meta = snapshot_metadata(result)
    assert meta["hours_expected"] == meta["hours_covered"] == 744
    assert meta["coverage"] == 1.0 and meta["hours_failed"] == 0
    assert meta["rows"] > 744 * 50 and meta["customers"] > 1_000_000
    assert meta["missing_hours"] == [] and meta["server_time"] != "unavailable"
    per_hour = good_files_per_hour(data, "2024-08")
    assert len(per_hour) == 744 and set(per_hour.values()) == {1}
    assert len(requests_of(sim)) == 744

    # The stored envelope is the exact answer with its request and provenance.
    store = BronzeStore(data / "bronze", "sec_snapshots")
    doc = read_envelope(store.latest_good("2024-08")["2024-08-02T12"].path)
    assert doc["request_body"] == {"anho": 2024, "mes": 8, "dia": 2, "hora": 12}
    assert doc["http_status"] == 200 and doc["era"] == "current"
    assert sum(r["CLIENTES_AFECTADOS"] for r in json.loads(doc["body"])) == doc["customers"]

    sim.reset_log()
    again = materialize(sim, data, "2024-08")
    assert again.success and requests_of(sim) == []
    assert set(good_files_per_hour(data, "2024-08").values()) == {1}


def test_failing_hour_is_reported_missing_then_resumed(sim, tmp_path: Path) -> None:
    data = tmp_path / "data"
    sim.set_faults([FaultRule(kind="http_500", hours=["2024-09-10T06"])])
    result = materialize(sim, data, "2024-09", hours_per_day=4)
    assert result.success  # 118 of 119 hours is above the 95% threshold
    meta = snapshot_metadata(result)
    assert meta["hours_expected"] == 119  # 2024-09-08T00 does not exist (DST)
    assert meta["missing_hours"] == ["2024-09-10T06"] and meta["hours_failed"] == 1
    failed_dir = data / "bronze/sec_snapshots/month=2024-09/2024-09-10T06"
    assert sorted(p.name.split("-")[2] for p in failed_dir.iterdir()) == ["http_500"] * 3

    sim.set_faults([])
    sim.reset_log()
    resumed = materialize(sim, data, "2024-09", hours_per_day=4)
    assert resumed.success
    assert [e[1] for e in requests_of(sim)] == ["2024-09-10T06"]
    assert snapshot_metadata(resumed)["coverage"] == 1.0


def test_service_down_fails_loudly_and_breaker_stops_the_next_run(sim, tmp_path: Path) -> None:
    data = tmp_path / "data"
    sim.set_faults([FaultRule(kind="http_503"), FaultRule(kind="http_503", method="GetHoraServer")])
    # One request at a time, so "five consecutive failed requests" is exact.
    result = materialize(sim, data, "2024-07", concurrency=1, hours_per_day=1)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = str(failure.event_specific_data.error)
    assert "only 0.0% of 31 hours" in text and "2024-07-01T00" in text and "breaker open" in text
    assert "half-opens at" in text and "make reset-breaker" in text  # when, and how to reset
    # the time in Chile's wall clock with its offset, as every message says it
    assert re.search(r"half-opens at \d{4}-\d\d-\d\d \d\d:\d\d -0[34] \(", text)
    assert " UTC" not in text
    assert good_files_per_hour(data, "2024-07") == {}  # a failure is never stored as zero
    # Five consecutive failed attempts open the breaker; nothing more is sent.
    assert len(sim.request_log()) == 5  # GetPorFecha and GetHoraServer alike

    sim.set_faults([])
    sim.reset_log()
    blocked = materialize(sim, data, "2024-07", concurrency=1, hours_per_day=1)
    assert not blocked.success and requests_of(sim) == []  # still cooling down


@pytest.mark.parametrize("kind", ["empty", "degraded", "null_customers", "unknown_names"])
def test_odd_but_valid_answers_are_stored_as_answered(sim, tmp_path: Path, kind: str) -> None:
    data = tmp_path / "data"
    sim.set_faults([FaultRule(kind=kind, hours=["2024-08-03T12"])])
    result = materialize(sim, data, "2024-08", hours_per_day=2)
    assert result.success
    latest = BronzeStore(data / "bronze", "sec_snapshots").latest_good("2024-08")["2024-08-03T12"]
    assert latest.outcome == ("empty" if kind == "empty" else "ok")


def test_customers_for_every_region(sim, tmp_path: Path) -> None:
    result = materialize(sim, tmp_path / "data", "2024-08", assets=[sec_customers])
    assert result.success
    [mat] = result.asset_materializations_for_node("sec_customers")
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["regions_answered"] == 16 and meta["regions_failed"] == {}
    assert 7_000_000 < meta["customers_national"] < 9_500_000


def _cli_env(sim, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        SEC_BASE_URL=sim.base_url,
        SEC_DATA_DIR=str(tmp_path / "data"),
        SEC_REQUESTS_PER_SECOND="2000",
        SEC_MAX_CONCURRENCY="8",
        SEC_BACKOFF_INITIAL_S="0.01",
        SEC_BACKOFF_MAX_S="0.05",
    )
    env.update(extra)
    (tmp_path / "dagster_home").mkdir(exist_ok=True)
    return env


def _cli(partition: str) -> list[str]:
    return [
        str(Path(sys.executable).with_name("dagster")),
        "asset",
        "materialize",
        "-m",
        "sec_assets.definitions",
        "--select",
        "sec_snapshots",
        "--partition",
        partition,
    ]


@pytest.mark.slow
def test_month_through_the_dagster_cli(sim, tmp_path: Path) -> None:
    proc = subprocess.run(
        _cli("2024-02"),
        env=_cli_env(sim, tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    per_hour = good_files_per_hour(tmp_path / "data", "2024-02")
    assert len(per_hour) == 696 and set(per_hour.values()) == {1}  # leap year
    assert "RUN_SUCCESS" in proc.stderr + proc.stdout


@pytest.mark.slow
def test_killed_run_resumes_with_only_the_hours_it_lacks(
    sim, tmp_path: Path, state_backend: StateBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On every client state store: the killed run's month lock is released (at once, or on
    Redis when its lease lapses), and the next run takes it and fetches only what is missing."""
    data = tmp_path / "data"
    sim.set_faults([FaultRule(kind="slow", delay_s=0.05)])
    monkeypatch.setenv("SEC_STATE_LOCK_TTL_S", "3")
    env = _cli_env(sim, tmp_path, SEC_MAX_CONCURRENCY="2", SEC_STATE_LOCK_TTL_S="3")
    env.update(state_backend.env())
    proc = subprocess.Popen(
        _cli("2024-08"),
        env=env,
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    month_dir = data / "bronze/sec_snapshots/month=2024-08"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if month_dir.is_dir() and len(good_files_per_hour(data, "2024-08")) >= 60:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    before = good_files_per_hour(data, "2024-08")
    assert 60 <= len(before) < 744, "the run must be killed midway"

    sim.set_faults([])
    sim.reset_log()
    resumed = materialize(sim, data, "2024-08")
    assert resumed.success
    # Only the hours it lacked (the killed run's last requests may still be logged, unanswered).
    assert len([e for e in requests_of(sim) if e[2] is not None]) == 744 - len(before)
    after = good_files_per_hour(data, "2024-08")
    assert len(after) == 744 and set(after.values()) == {1}  # each hour exactly once
    for path in month_dir.glob("*/*.json.gz"):  # every file whole, even the kill's
        json.loads(gzip.decompress(path.read_bytes()))
    assert (data / "state" / "locks").exists() == (not state_backend.shared)  # the store's lock

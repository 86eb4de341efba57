"""Faults of machines that share only an S3 server (moto on loopback): a bronze run killed
mid-month (its whole process group), then the S3 server stopped under the next run; each time
nothing in the bucket is half-written, and a run on another machine (its own empty data
folder) completes the month, asking the SEC look-alike only for what is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sec_assets import objects
from sec_assets.bronze.store import open_store
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation
from sec_assets_tests.cli import REPO, run_materialize
from sec_assets_tests.s3_server import covered_hours, s3_server, whole_envelopes
from sec_sim import SimConfig, run_simulator

pytestmark = pytest.mark.deployment

MONTH = Month(2024, 8)
PARTITION = "2024-08"
CONCURRENCY = 4


def _env(tmp_path: Path, name: str, base: dict[str, str]) -> dict[str, str]:
    """A machine: its own data folder (and instance); the bucket and the simulator shared."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(base, SEC_DATA_DIR=str(tmp_path / name / "data"))
    env["DAGSTER_HOME"] = str(tmp_path / name / "home")
    Path(env["DAGSTER_HOME"]).mkdir(parents=True)
    return env


def covered(url: str, tmp_path: Path) -> set[str]:
    return covered_hours(url, tmp_path / "view", MONTH.label)


def asked(sim) -> set[str]:
    return {k for m, k, _ in sim.request_log() if m == "GetPorFecha" and k}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_killed_run_and_a_stopped_server_leave_nothing_half_written(tmp_path: Path) -> None:
    with s3_server() as s3, run_simulator(SimConfig(seed=5)) as sim:
        url = s3.bucket()
        base = {
            **s3.env(),
            "SEC_BASE_URL": sim.base_url,
            "SEC_BRONZE_URL": url,
            "SEC_HOURS_PER_DAY": "24",
            "SEC_REQUESTS_PER_SECOND": "15",  # ~50 s for the month: time to kill it midway
            "SEC_MAX_CONCURRENCY": str(CONCURRENCY),
            "SEC_MAX_ATTEMPTS": "2",
            "SEC_BACKOFF_INITIAL_S": "0.05",
            "PYTHONPATH": str(REPO),
        }
        command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
        command += ["-m", "sec_assets.definitions", "--select", "sec_snapshots"]
        first = subprocess.Popen(
            [*command, "--partition", PARTITION],
            env=_env(tmp_path, "a", base),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while len(objects.list_sizes(url, "sec_snapshots/")) < 150:
            assert first.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run stored nothing"
            time.sleep(0.5)
        os.killpg(first.pid, signal.SIGKILL)  # machine A dies mid-month
        first.wait(timeout=30)
        stored_a, covered_a = whole_envelopes(url), covered(url, tmp_path)
        assert 150 <= stored_a < len(MONTH.hours(24))
        sim.reset_log()

        base["SEC_REQUESTS_PER_SECOND"] = "200"
        second = subprocess.Popen(
            [*command, "--partition", PARTITION],
            env=_env(tmp_path, "b", base),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        while len(objects.list_sizes(url, "sec_snapshots/")) < stored_a + 50:
            assert second.poll() is None, "machine B ended before the server stopped"
            time.sleep(0.2)
        s3.stop()  # the S3 server goes away under machine B's writes
        try:
            out, _ = second.communicate(timeout=300)
        finally:
            s3.start()
        assert second.returncode != 0 and "ObjectStoreError" in out, out[-2000:]
        assert s3.env()["AWS_SECRET_ACCESS_KEY"] not in out
        stored_b, covered_b = whole_envelopes(url), covered(url, tmp_path)
        asked_b = asked(sim)
        sim.reset_log()

        third = run_materialize(
            ["sec_snapshots"], env=_env(tmp_path, "c", base), partition=PARTITION
        )
        assert third.returncode == 0, (third.stdout + third.stderr)[-3000:]
        asked_c = asked(sim)
        view = open_store(ObjectLocation(url, tmp_path / "check"), "sec_snapshots")
        versions = view.versions(MONTH.label)

    # Each run asked only for the hours the bucket lacked: nothing stored is asked again.
    assert asked_b and not asked_b & covered_a
    assert asked_c and not asked_c & covered_b
    assert stored_a < stored_b
    assert all(versions.get(h.key) == 1 for h in MONTH.hours(24)), "one valid answer per hour"
    assert not any((tmp_path / m / "data" / "bronze").exists() for m in "abc")

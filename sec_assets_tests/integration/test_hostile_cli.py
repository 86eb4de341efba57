"""The hostile simulator and the collector as their users run them: ``sec-sim serve --hostile``
and ``dagster asset materialize`` through a proxy with credentials whose error page echoes the
request headers. No form of the proxy password reaches the CLI output, the Dagster instance
(event log, compute logs) or bronze (issue 11, item 7)."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sec_assets_tests.cli import materialize
from sec_assets_tests.spellings import leaks
from sec_sim.hostile import HOSTILE_DAYS, hostile_hours

REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "collector", "Echoed-Proxy-Secret-42"
SECRETS = [PASSWORD, f"{USER}:{PASSWORD}"]


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.fixture
def hostile_sim() -> Iterator[str]:
    proc = subprocess.Popen(
        [_bin("sec-sim"), "serve", "--port", "0", "--hostile", "--hostile-drip-s", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.match(r"http://127\.0\.0\.1:\d+/INTONLINEv1/ClientesAfectados$", url), url
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_help_documents_the_hostile_hours() -> None:
    out = subprocess.run(
        [_bin("sec-sim"), "serve", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    flat = " ".join(out.split())
    assert "--hostile" in flat and "06:00" in flat
    for day, case in HOSTILE_DAYS.items():
        assert f"day {day} {case}" in flat


@pytest.mark.slow
def test_no_secret_reaches_cli_output_instance_or_bronze(hostile_sim: str, tmp_path: Path) -> None:
    port = hostile_sim.split(":")[2].split("/")[0]
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        SEC_DATA_DIR=str(data),
        SEC_BASE_URL=hostile_sim,
        SEC_HTTP_PROXY=f"http://{USER}:{PASSWORD}@127.0.0.1:{port}",  # the simulator proxies
        SEC_HOURS_PER_DAY="4",
        SEC_MIN_MONTH_COVERAGE="0.5",
        SEC_MAX_CONCURRENCY="8",
        SEC_REQUESTS_PER_SECOND="2000",
        SEC_MAX_ATTEMPTS="2",
        SEC_BACKOFF_INITIAL_S="0.01",
        SEC_BACKOFF_MAX_S="0.05",
        SEC_MAX_BODY_BYTES="131072",
    )
    output = materialize(["sec_snapshots"], env=env, partition="2024-08")
    assert "outcome=http_502" in output  # the echo hour failed, and was logged
    assert not leaks(output.encode(), SECRETS)
    stored = [gzip.decompress(p.read_bytes()) for p in (data / "bronze").rglob("*.json.gz")]
    [echo] = [h for h, c in hostile_hours("2024-08").items() if c == "echo"]
    assert any(echo.encode() in doc and b"Basic ***" in doc for doc in stored)
    instance = [p.read_bytes() for p in home.rglob("*") if p.is_file()]
    for blob in stored + instance:
        assert not leaks(blob, SECRETS)  # every spelling: the echo hours repeat them all

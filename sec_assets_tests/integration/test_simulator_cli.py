"""The ``sec-sim`` console script, run as a real subprocess."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import polars as pl
import pytest

from sec_sim import SimConfig, SimService, truth_events
from sec_sim.server import encode_json
from sec_sim.timeutil import hour_index


def sec_sim() -> list[str]:
    script = Path(sys.executable).with_name("sec-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sec_sim.cli"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, subprocess.CompletedProcess[bytes]]:
    """Run the slow commands side by side (each builds a month of the process)."""
    commands = {
        "truth": [*sec_sim(), "truth", "--month", "2024-08", "--format", "csv"],
        "answer": [*sec_sim(), "answer", "--hour", "2024-08-02T12"],
    }
    procs = {
        k: subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for k, c in commands.items()
    }
    results = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        results[key] = subprocess.CompletedProcess(commands[key], proc.returncode, out, err)
    return results


def test_truth_prints_the_true_outages(outputs) -> None:
    result = outputs["truth"]
    assert result.returncode == 0, result.stderr.decode()
    printed = pl.read_csv(io.BytesIO(result.stdout), schema_overrides={"cut_comuna": pl.Utf8})
    expected = truth_events("2024-08", seed=42)
    assert printed.columns == expected.columns
    assert printed["outage_id"].to_list() == expected["outage_id"].to_list()
    assert printed["customer_hours"].to_list() == expected["customer_hours"].to_list()
    assert "S20240802-WIND" in printed["storm_id"].to_list()


def test_answer_prints_the_same_bytes_as_the_library(outputs) -> None:
    result = outputs["answer"]
    assert result.returncode == 0, result.stderr.decode()
    service = SimService(SimConfig(seed=42, clock=datetime(2030, 1, 1)))
    expected = encode_json(service.por_fecha(hour_index(datetime(2024, 8, 2, 12))))
    assert result.stdout == expected + b"\n"  # byte-identical across processes


def test_bad_arguments_exit_with_status_2() -> None:
    result = subprocess.run(
        [*sec_sim(), "serve", "--fault", "meteor"], capture_output=True, timeout=30
    )
    assert result.returncode == 2 and b"meteor" in result.stderr


def test_serve_prints_its_url_applies_faults_and_stops_on_sigterm() -> None:
    command = [
        *sec_sim(),
        "serve",
        "--port",
        "0",
        "--clock",
        "2026-11-20T09:30",
        "--fault",
        "http_503:times=1:method=GetHoraServer",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.match(r"(http://127\.0\.0\.1:\d+/INTONLINEv1/ClientesAfectados)$", line.strip())
        assert match, line
        url = match.group(1)
        with httpx.Client(timeout=10) as client:
            assert client.post(f"{url}/GetHoraServer", json={}).status_code == 503
            answer = client.post(f"{url}/GetHoraServer", json={})
            assert answer.json() == [{"FECHA": "20/11/2026 09:30"}]
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("command", ["serve", "truth", "answer"])
def test_help_documents_every_option_with_its_default(command: str) -> None:
    result = subprocess.run(
        [*sec_sim(), command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    # One entry per option: "  --name ..." then its help, possibly wrapped over lines.
    entries = re.split(r"\n  (?=-)", result.stdout.split("options:", 1)[1])
    for entry in entries[1:]:
        if entry.startswith("-h"):
            continue
        text = " ".join(entry.split())
        assert "default" in text or text.split()[0] in ("--month", "--hour"), text


def test_a_busy_port_is_one_clear_line() -> None:
    first = subprocess.Popen(
        [*sec_sim(), "serve", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout is not None
        port = first.stdout.readline().strip().split(":")[2].split("/")[0]
        second = subprocess.run(
            [*sec_sim(), "serve", "--port", port], capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert lines == [
            f"sec-sim: 127.0.0.1:{port} is already in use (another sec-sim?); "
            "choose another with --port (make sim SIM_PORT=…)"
        ]
    finally:
        first.terminate()
        first.wait(timeout=30)

"""``make demo`` as a newcomer sees it: the month's summary on the terminal, Dagster's event log
in a file the summary names, not a thousand DEBUG lines above it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)  # ~1-2 min idle: a month at one hour a day, then gold
def test_demo_prints_its_summary_and_logs_to_a_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    home, data = tmp_path / "home", tmp_path / "work" / "data"
    home.mkdir()
    env.update(DAGSTER_HOME=str(home), SEC_DATA_DIR=str(data), SEC_HOURS_PER_DAY="1")
    env["SEC_PG_DSN"] = " "  # set, but no DSN: DuckDB, and the summary says so
    done = subprocess.run(
        [sys.executable, "-m", "sec_tools.demo", "--partition", "2024-07"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=800,
    )
    log = tmp_path / "work" / "demo.log"
    assert done.returncode == 0, (done.stdout, done.stderr[-3000:])
    assert "Month 2024-07 — OK" in done.stdout
    assert f"run log         {log}" in done.stdout
    assert f"warehouse       duckdb: {data.resolve() / 'warehouse.duckdb'}" in done.stdout
    # What the alert sensors would send, printed, not sent: nothing, the demo is healthy.
    assert "alerts          0 message(s) to send now, printed only" in done.stdout
    # Two counts of episodes that differ say why, on their line.
    assert "with an hour in the month (" in done.stdout and " began in it, " in done.stdout
    assert "episodes: those that began in the month)" in done.stdout
    assert "outage start; fragments of one are summed)" in done.stdout
    terminal = done.stdout + done.stderr
    assert "DEBUG" not in terminal and "STEP_SUCCESS" not in terminal
    assert len(terminal.splitlines()) < 40, terminal
    assert "STEP_SUCCESS" in log.read_text()

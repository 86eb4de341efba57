"""A running Dagster UI on a throwaway instance, and headless Chromium to look at it.

The UI is what ``make ui`` starts, ``dagster dev``: the webserver and the daemon. The webserver
alone is not enough: the instance's default run coordinator queues every launched run and only
the daemon dequeues it. Runs fetch from the local SEC simulator.

Chromium is Debian's, driven through its command line: ``--dump-dom`` after a virtual-time
budget gives the rendered React page, ``--screenshot`` what a person would see.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sec_assets_tests.browser.harness import Chromium, DagsterUI, stop, wait_until_loaded

REPO = Path(__file__).resolve().parents[2]
# Settings of the runs the UI launches: the simulator is local, and one hour a day keeps a
# month to 31 requests.
RUN_ENV = {
    "SEC_HOURS_PER_DAY": "1",
    "SEC_REQUESTS_PER_SECOND": "500",
    "SEC_MAX_CONCURRENCY": "8",
    "SEC_BACKOFF_INITIAL_S": "0.01",
    "SEC_BACKOFF_MAX_S": "0.05",
}


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    binary = shutil.which("chromium")
    if binary is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}: .ci/run installs it, so CI must have it")
        pytest.skip(reason)
    return Chromium(binary, tmp_path_factory.mktemp("screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, data: Path, base_url: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "SUPABASE_", "DAGSTER_"))
    }
    env.update(RUN_ENV, DAGSTER_HOME=str(home), SEC_DATA_DIR=str(data), SEC_BASE_URL=base_url)
    return env


@contextlib.contextmanager
def dagster_dev(extra_env: dict[str, str] | None = None) -> Iterator[DagsterUI]:
    """``make ui`` on a temporary DAGSTER_HOME and data folder, fed by the simulator;
    ``extra_env`` adds settings of the runs (e.g. ``SEC_PG_DSN``)."""
    from sec_sim import SimConfig, run_simulator

    with (
        tempfile.TemporaryDirectory(prefix="sec_ui_", ignore_cleanup_errors=True) as tmp,
        run_simulator(SimConfig(seed=7)) as sim,
    ):
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "config" / "dagster.yaml", home / "dagster.yaml")
        port = _free_port()
        ui = DagsterUI(f"http://127.0.0.1:{port}", Path(tmp) / "dagster_dev.log")
        cmd = [
            str(Path(sys.executable).with_name("dagster")),
            *("dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)),
        ]
        env = {**_env(home, Path(tmp) / "data", sim.base_url), **(extra_env or {})}
        with ui.log.open("wb") as log:
            proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until_loaded(ui, proc)
            # What the UI's "Skip" does: no "join the community" dialog over the screenshots.
            ui.graphql("mutation { setNuxSeen }")
            yield ui
        finally:
            stop(proc)


@pytest.fixture(scope="module")
def dagster_ui(chromium: Chromium) -> Iterator[DagsterUI]:
    """``make ui`` on a temporary DAGSTER_HOME and data folder, fed by the simulator."""
    with dagster_dev() as ui:
        yield ui

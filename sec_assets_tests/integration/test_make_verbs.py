"""The Makefile verbs a newcomer runs, as the README gives them: ports from variables, .env
loaded when present, the simulator's full URL where a newcomer copies it from."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from sec_sim.config import DEFAULT_PREFIX

REPO = Path(__file__).resolve().parents[2]
SIM_URL = f"http://127.0.0.1:8765{DEFAULT_PREFIX}"


def dry_run(*args: str) -> str:
    """What ``make`` would run (``-n``), without running it."""
    done = subprocess.run(
        ["make", "-n", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("ui",), "-p 3000"),
        (("ui", "PORT=3999"), "-p 3999"),
        (("sim",), "--port 8765"),
        (("sim", "SIM_PORT=8799"), "--port 8799"),
    ],
)
def test_ports_come_from_variables(args: tuple[str, ...], expected: str) -> None:
    assert expected in dry_run(*args)


def test_ui_loads_dot_env_when_present() -> None:
    assert ". ./.env" in dry_run("ui")


def test_env_example_points_at_the_simulators_full_url() -> None:
    example = (REPO / ".env.example").read_text()
    assert f"SEC_BASE_URL={SIM_URL}\n" in example
    rate = re.search(r"^SEC_REQUESTS_PER_SECOND=(\d+)", example, re.M)
    assert rate and int(rate.group(1)) > 2  # a local simulator needs no politeness
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_readme_and_make_sim_give_the_full_url() -> None:
    readme = (REPO / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `make sim`")]
    assert SIM_URL in row
    assert SIM_URL in dry_run("sim")

"""The code location's CLI as a deployment runs it: ``dagster asset materialize`` in a child
process, from the repository's root, with the environment a test gives it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_materialize(
    selection: list[str], *, env: dict[str, str], partition: str | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run it and return the finished process, whatever its exit status."""
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    command += ["-m", "sec_assets.definitions", "--select", ",".join(selection)]
    command += ["--partition", partition] if partition else []
    return subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def materialize(
    selection: list[str], *, env: dict[str, str], partition: str | None = None, timeout: int = 300
) -> str:
    """Run it; assert it succeeded; return its output (stdout, then stderr)."""
    proc = run_materialize(selection, env=env, partition=partition, timeout=timeout)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    return output


def run_job(
    job: str, *, env: dict[str, str], partition: str | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """``dagster job execute`` of a job of the code location (a month as the partition tag);
    return the finished process, whatever its exit status."""
    command = [str(Path(sys.executable).with_name("dagster")), "job", "execute"]
    command += ["-m", "sec_assets.definitions", "-j", job]
    command += ["--tags", f'{{"dagster/partition": "{partition}"}}'] if partition else []
    return subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )

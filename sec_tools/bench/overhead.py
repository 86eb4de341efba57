"""Run overhead: how a month's wall time compares with the work its steps do.

A month bronze → silver → golden Parquet is launched the way a deployment runs it (``dagster
asset materialize`` with the code location's own executor, on a fresh instance), against the
simulator. From the run's events: the run's wall time (RUN_START → RUN_SUCCESS), the compute
(the sum of its steps' durations) and their ratio; plus the CLI's whole wall time, which adds
the process start and the code location's load.

    python -m sec_tools.bench.overhead      # alone, with its own simulator
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.automation.jobs import MONTHLY_ASSETS

REPO = Path(__file__).resolve().parents[2]
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
MONTH = "2024-08-01"


def _materialize(env: dict[str, str], selection: list[str], partition: str | None) -> float:
    cmd = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    cmd += ["-m", "sec_assets.definitions", "--select", ",".join(selection)]
    cmd += ["--partition", partition] if partition else []
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def _run_times(home: Path) -> dict[str, float]:
    """Wall time and summed step durations of the instance's latest run."""
    instance = dg.DagsterInstance.from_config(str(home))
    [run] = instance.get_runs(limit=1)
    logs = instance.all_logs(run.run_id)

    def at(kind: dg.DagsterEventType) -> float:
        return next(e.timestamp for e in logs if e.dagster_event_type == kind)

    steps = [
        e.dagster_event.event_specific_data.duration_ms / 1000  # type: ignore[union-attr]
        for e in logs
        if e.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS
    ]
    wall = at(dg.DagsterEventType.RUN_SUCCESS) - at(dg.DagsterEventType.RUN_START)
    return {"run_wall_s": round(wall, 2), "compute_s": round(sum(steps), 2), "steps": len(steps)}


def bench_overhead(base_url: str, month: str = MONTH) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sec_overhead_") as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        shutil.copy(REPO / "config" / "dagster.yaml", home / "dagster.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
        env.update(
            DAGSTER_HOME=str(home),
            SEC_DATA_DIR=str(data),
            SEC_BASE_URL=base_url,
            SEC_REQUESTS_PER_SECOND="500",
            SEC_MAX_CONCURRENCY="8",
        )
        _materialize(env, DIMS, None)
        cli_wall = _materialize(env, MONTHLY_ASSETS, month)
        times = _run_times(home)
    ratio = times["run_wall_s"] / max(times["compute_s"], 1e-9)
    return {
        "month": month[:7],
        **times,
        "ratio": round(ratio, 2),
        "cli_wall_s": round(cli_wall, 2),
    }


def markdown(row: dict[str, Any]) -> str:
    return "\n".join(
        [
            "## Run overhead (one month, bronze → golden Parquet, `dagster asset materialize`)",
            "",
            "| month | steps | compute s | run wall s | wall / compute | CLI wall s |",
            "|---|---|---|---|---|---|",
            f"| {row['month']} | {row['steps']} | {row['compute_s']} | {row['run_wall_s']} | "
            f"{row['ratio']} | {row['cli_wall_s']} |",
            "",
        ]
    )


def main() -> int:
    from sec_tools.bench.simproc import simulator_process

    with simulator_process(42) as base_url:
        row = bench_overhead(base_url)
    print(markdown(row))
    return 0 if row["ratio"] <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())

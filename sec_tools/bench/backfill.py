"""A history backfill through Dagster, as the UI launches it, beside the same months through the
functions (``make bench-backfill``).

The months' bronze is the bench's cached history (``bench/genbronze.py``). ``dagster dev`` runs
on a fresh ``DAGSTER_HOME`` (the shipped ``config/dagster.yaml``) and a fresh data folder whose
bronze is the cache; the backfill is launched through the GraphQL mutation the UI's "Materialize"
dialog sends (``launchPartitionBackfill``: the dimensions and the monthly assets from silver to
the golden Parquet, every month of the range), and the daemon runs it. Reported: the runs it
took, the wall time from launch to the last run's end, the CPU seconds over that time of every
process of ``dagster dev`` (webserver, daemon, code server and the runs, sampled from
``/proc``), and the machine's load; beside them, the same months loaded through the functions
(``bench/silver.py --load-only``: region customers, observations and episodes in ranged runs,
without the checks and the golden Parquet the backfill also does), just before; and the same
work as the backfill's runs through the functions (``--same-work``: also every month's checks
with their verdicts, the last month's picture of each range, the national series and the golden
Parquet), so that the backfill's own cost stands apart from the work it does.

    python -m sec_tools.bench.backfill [--months N]   # the last N months of the history
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from sec_assets.automation.jobs import MONTHLY_ASSETS
from sec_assets.month import Month
from sec_tools.bench.genbronze import generate

REPO = Path(__file__).resolve().parents[2]
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
BRONZE = {"sec_snapshots", "sec_customers", "sec_national_series"}
#: Silver → gold of the cached bronze, month by month.
MONTHLY = [a for a in MONTHLY_ASSETS if a not in BRONZE]
#: What the backfill materializes: the monthly assets and the dimensions they reference.
SELECTION = [*DIMS, *MONTHLY]
#: How the history is launched: ``one`` backfill of the dimensions and the monthly assets;
#: ``dims-first``: the dimensions materialized (one run, as the UI's "Materialize" launches
#: it), then a backfill of the monthly assets.
PLANS = ("one", "dims-first")
LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
TIMEOUT_S = 3600
DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
LAUNCH = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status runs(limit: 1000) { id status startTime endTime
    tags { key value } } } } }"""
LOADED = """{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"""


def _graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}})
    answer.raise_for_status()
    body = answer.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return dict(body["data"])


def _tree_cpu_s(session: int) -> dict[int, float]:
    """CPU seconds (user + system) of every live process of ``session`` and of their
    descendants in sessions of their own (the warm run launcher's workers start one), by
    pid."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, int, float]] = {}  # pid -> (parent, session, CPU s)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / tick
            procs[int(stat.parent.name)] = (int(fields[1]), int(fields[3]), cpu)
    mine = {pid for pid, (_, sid, _) in procs.items() if sid == session}
    grown = True
    while grown:
        more = {pid for pid, (parent, _, _) in procs.items() if parent in mine} - mine
        mine |= more
        grown = bool(more)
    return {pid: procs[pid][2] for pid in mine}


class CpuSampler:
    """The CPU seconds of a process session, sampled every ``every_s`` (a process that ends
    between two samples loses at most that interval's CPU)."""

    def __init__(self, session: int, every_s: float = 0.5) -> None:
        self.session, self.every_s, self.seen = session, every_s, dict[int, float]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid, cpu in _tree_cpu_s(self.session).items():
                self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))
            self._stop.wait(self.every_s)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def total(self) -> float:
        return round(sum(self.seen.values()), 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dagster_dev(history: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``dagster dev`` on a fresh instance and data folder whose bronze is ``history``'s."""
    with tempfile.TemporaryDirectory(prefix="sec_backfill_", ignore_cleanup_errors=True) as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        data.mkdir()
        shutil.copy(REPO / "config" / "dagster.yaml", home / "dagster.yaml")
        (data / "bronze").symlink_to(history / "bronze")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
        env.update(DAGSTER_HOME=str(home), SEC_DATA_DIR=str(data))
        env["SEC_BASE_URL"] = "http://127.0.0.1:9/unused"  # nothing asks the service
        port = _free_port()
        cmd = [str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1"]
        cmd += ["-p", str(port), "-w", str(REPO / "workspace.yaml")]
        log = Path(tmp) / "dagster_dev.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            yield f"http://127.0.0.1:{port}", proc, log
        finally:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_loaded(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dagster dev exited: {log.read_text()[-3000:]}")
        with suppress(httpx.TransportError, RuntimeError, KeyError, TypeError):
            entries = _graphql(url, LOADED)["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        time.sleep(0.5)
    raise RuntimeError(f"the code location did not load: {log.read_text()[-3000:]}")


def _materialize(url: str, assets: list[str], log: Path) -> None:
    """One run of ``assets`` launched as the UI's "Materialize" does, waited for."""
    params = {
        "selector": {
            "repositoryLocationName": "sec_assets",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": [a]} for a in assets],
        },
        "executionMetadata": {"tags": [{"key": "dagster/from_ui", "value": "true"}]},
    }
    got = _graphql(url, LAUNCH_RUN, {"params": params})["launchRun"]
    if got["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"launchRun refused: {got}")
    run_id = got["run"]["runId"]
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        status = _graphql(url, RUN, {"id": run_id})["runOrError"]["status"]
        if status == "SUCCESS":
            return
        if status in ("FAILURE", "CANCELED"):
            raise RuntimeError(f"{assets}: run {run_id} {status}: {log.read_text()[-3000:]}")
        time.sleep(0.5)
    raise RuntimeError(f"{assets}: run {run_id} not done after {TIMEOUT_S} s")


def _run_backfill(
    url: str, months: list[Month], log: Path, assets: list[str] = SELECTION
) -> dict[str, Any]:
    params = {
        "tags": [{"key": "dagster/from_ui", "value": "true"}],
        "assetSelection": [{"path": [a]} for a in assets],
        "partitionNames": [m.key for m in months],
        "fromFailure": False,
    }
    launched = _graphql(url, LAUNCH, {"p": params})["launchPartitionBackfill"]
    if launched["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill refused: {launched}")
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        backfill = _graphql(url, STATUS, {"id": launched["backfillId"]})
        backfill = backfill["partitionBackfillOrError"]
        runs = backfill["runs"]
        if backfill["status"] in DONE and all(r["endTime"] for r in runs):
            return dict(backfill)
        time.sleep(1)
    raise RuntimeError(f"backfill not done after {TIMEOUT_S} s: {log.read_text()[-3000:]}")


def _months_of(run: dict[str, Any]) -> int:
    tags = {t["key"]: t["value"] for t in run["tags"]}
    if "dagster/partition" in tags:
        return 1
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    return len(Month.parse(start).through(Month.parse(end))) if start and end else 0


def bench_dagster(history: Path, months: list[Month], plan: str = "one") -> dict[str, Any]:
    """The backfill of ``months`` through ``dagster dev`` launched by ``plan`` (:data:`PLANS`):
    runs, wall, CPU, load."""
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    with dagster_dev(history) as (url, proc, log), CpuSampler(proc.pid) as cpu:
        _wait_loaded(url, proc, log)
        ready_s = time.perf_counter() - t0
        started, cpu_ready = time.time(), cpu.total()
        if plan == "dims-first":
            _materialize(url, DIMS, log)
            backfill = _run_backfill(url, months, log, MONTHLY)
        else:
            backfill = _run_backfill(url, months, log)
        wall = max(r["endTime"] for r in backfill["runs"]) - started
        cpu_done = cpu.total()
        timeline = run_timeline(log.parent / "home", started)
    runs = backfill["runs"]
    failed = [r["id"] for r in runs if r["status"] != "SUCCESS"]
    return {
        "plan": plan,
        "months": len(months),
        "status": backfill["status"],
        "runs": len(runs) + (plan == "dims-first"),  # the dimensions' own run
        "runs_failed": failed,
        "months_per_run": sorted((_months_of(r) for r in runs), reverse=True),
        "ui_ready_s": round(ready_s, 1),
        "wall_s": round(wall, 1),
        "run_wall_s_sum": round(sum(r["endTime"] - r["startTime"] for r in runs), 1),
        "cpu_s": round(cpu_done - cpu_ready, 1),  # from the launch to the last run's end
        "cpu_ui_start_s": cpu_ready,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "timeline": timeline,
    }


def run_timeline(home: Path, launched: float) -> list[dict[str, Any]]:
    """Each run's start, end and steps (seconds after the launch), from the instance's event
    log: where the backfill's wall time goes (which steps overlap, which queue)."""
    import dagster as dg

    et = dg.DagsterEventType
    out = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.get_run_records():
            run = record.dagster_run
            logs = instance.all_logs(run.run_id)
            at = {e.dagster_event_type: e.timestamp - launched for e in reversed(logs)}
            steps: dict[str, dict[str, float]] = {}
            for e in logs:
                kind, key = e.dagster_event_type, e.step_key
                if key and kind in (et.STEP_START, et.STEP_SUCCESS, et.STEP_FAILURE):
                    end = "start" if kind == et.STEP_START else "end"
                    steps.setdefault(key, {})[end] = round(e.timestamp - launched, 2)
            tags = run.tags
            out.append(
                {
                    "run": run.run_id[:8],
                    "range": [
                        tags.get("dagster/asset_partition_range_start"),
                        tags.get("dagster/asset_partition_range_end"),
                    ],
                    "created": round(record.create_timestamp.timestamp() - launched, 2),
                    "start": round(at.get(et.RUN_START, float("nan")), 2),
                    "end": round(at.get(et.RUN_SUCCESS, at.get(et.RUN_FAILURE, float("nan"))), 2),
                    "steps": steps,
                    "events": len(logs),  # what the run stored in the event log
                }
            )
    return sorted(out, key=lambda r: r["start"])


def bench_functions(history: Path, months: list[Month], same_work: bool = False) -> dict[str, Any]:
    """The same months through the functions (``bench/silver.py --load-only``), in a fresh
    DuckDB file, as ``make bench-full`` loads the history; ``same_work``: also what the
    backfill's runs do after silver (the checks, the national series, the golden Parquet:
    ``--same-work``)."""
    db = f"bench_backfill_{os.getpid()}.duckdb"
    cmd = [sys.executable, "-m", "sec_tools.bench.silver", "--data", str(history)]
    cmd += ["--first", months[0].label, "--months", str(len(months)), "--load-only"]
    cmd += ["--db", db] + (["--same-work"] if same_work else [])
    load_before = os.getloadavg()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for leftover in history.glob(f"{db.removesuffix('.duckdb')}*"):
        leftover.unlink()
    if proc.returncode != 0:
        raise RuntimeError(f"functions load failed: {proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "months": len(months),
        "ranges": out["ranges"],
        "wall_s": out["seconds"],
        "cpu_s": out["cpu_s"],
        "raw_rows": out["raw_rows"],
        "load_before": [round(x, 2) for x in load_before],
    }


def bench_backfill(history: Path, months: list[Month], plan: str = "one") -> dict[str, Any]:
    generate(history / "bronze", months)
    functions = bench_functions(history, months)
    same = bench_functions(history, months, same_work=True)
    dagster = bench_dagster(history, months, plan)
    return {
        "first": months[0].label,
        "last": months[-1].label,
        "functions": functions,
        "functions_same_work": same,
        "dagster": dagster,
        "wall_ratio": round(dagster["wall_s"] / functions["wall_s"], 2),
        "cpu_ratio": round(dagster["cpu_s"] / functions["cpu_s"], 2),
        "same_work_wall_ratio": round(dagster["wall_s"] / same["wall_s"], 2),
        "same_work_cpu_ratio": round(dagster["cpu_s"] / same["cpu_s"], 2),
    }


def markdown(row: dict[str, Any]) -> str:
    f, d, same = row["functions"], row["dagster"], row["functions_same_work"]
    load = "/".join(f"{x:.1f}" for x in d["load_before"])
    return "\n".join(
        [
            f"## History backfill through the daemon ({row['first']} … {row['last']}, "
            f"{d['months']} months, silver → golden Parquet)",
            "",
            "| path | runs | wall s | CPU s | load (1/5/15 min) before |",
            "|---|---|---|---|---|",
            f"| functions (`bench/silver.py`, ranged) | {f['ranges']} ranges | {f['wall_s']} | "
            f"{f['cpu_s']} | {'/'.join(f'{x:.1f}' for x in f['load_before'])} |",
            f"| functions, the same work (`--same-work`: also the checks, national series, "
            f"golden Parquet) | {same['ranges']} ranges | {same['wall_s']} | {same['cpu_s']} | "
            f"{'/'.join(f'{x:.1f}' for x in same['load_before'])} |",
            f"| backfill through `dagster dev`, plan `{d['plan']}` ({d['status']}) | {d['runs']} | "
            f"{d['wall_s']} | "
            f"{d['cpu_s']} | {load} |",
            "",
            f"Backfill / functions: {row['wall_ratio']}× wall, {row['cpu_ratio']}× CPU "
            f"(target ≤ 2× wall); / the same work through the functions: "
            f"{row['same_work_wall_ratio']}× wall, {row['same_work_cpu_ratio']}× CPU. "
            f"Months per run: {d['months_per_run']}; failed runs: "
            f"{len(d['runs_failed'])}. Before the launch, `dagster dev` took {d['ui_ready_s']} s "
            f"and {d['cpu_ui_start_s']} CPU s to load (not counted above).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--months", type=int, default=0, help="the last N months (0: all)")
    p.add_argument("--history", type=Path, default=Path("bench_out/history"))
    p.add_argument("--plan", choices=PLANS, default="one", help="how the history is launched")
    args = p.parse_args(argv)
    every = Month.history_start().through(Month.at().prev())  # up to the last closed month
    months = every[-args.months :] if args.months else every
    history = args.history.resolve()
    print(f"backfill bench: {len(months)} months, {months[0]} … {months[-1]} …", flush=True)
    row = bench_backfill(history, months, args.plan)
    out = Path("bench_out")
    out.mkdir(exist_ok=True)
    (out / "backfill.json").write_text(json.dumps(row, indent=2))
    md = markdown(row)
    (out / "BACKFILL.md").write_text(md)
    print(md)
    return 0 if row["dagster"]["status"] == "COMPLETED_SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main())

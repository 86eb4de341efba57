"""Run overhead: what a month costs beyond its own work, through the paths a user takes.

One month of cached bronze (``bench_out/history``) → silver → golden Parquet, on DuckDB, from
the same prepared warehouse (schema and dimensions), three ways:

- **functions**: ``sec_tools.bench.silver --one-month`` in a fresh process (the package's
  functions, as a run's steps call them);
- **CLI**: ``dagster asset materialize`` of the month's silver and golden assets, on a fresh
  instance (``cli``) and on one that has already run once (``cli_used``: the instance of the
  warehouse's preparation, as a user's ``DAGSTER_HOME`` is after its first run);
- **daemon**: ``dagster dev`` (webserver, daemon, code server) on a fresh instance, the run
  launched over GraphQL as the UI's "Materialize" does (``launchRun``), dequeued by the
  daemon and executed by the run worker of the checkout's run launcher: spawned by the code
  server (Dagster's default), or forked from the warm run launcher's server
  (:mod:`sec_assets.deploy.warm_launcher`), which has no import phase of its own: that server
  imported once, before the first run, and its CPU is reported beside the run's.

Each run is split by its event log's timestamps (RUN_START, RESOURCE_INIT_*, STEP_START /
STEP_SUCCESS, RUN_SUCCESS) and its process's CPU read from ``/proc`` while it runs
(:mod:`sec_tools.bench.proctrace`): process start and definitions import (fresh-process
probes, until their import is done), the rest of the start-up, resource set-up, the steps'
work, the run machinery between them, teardown and the process's exit — each in wall and CPU
seconds, with the machine's load. The measured checkout is byte-compiled first, as an
installed wheel is.

    python -m sec_tools.bench.overhead --history bench_out/history
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.month import Month
from sec_assets.warehouse.connect import DUCKDB_FILE
from sec_tools.bench.proctrace import (
    Finished,
    Samples,
    Trace,
    cmdline,
    descendants,
    run_measured,
    started_at,
)

REPO = Path(__file__).resolve().parents[2]
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
#: The month's silver and golden assets (bronze is cached: nothing to fetch).
SELECTION = ["region_customers", "snapshot_ledger", "fact_interrupciones", "fact_eventos"]
SELECTION += ["golden_eventos"]
MONTH = Month(2024, 8)
PROBES = 3  # fresh-process import probes; the median is reported
#: A probe's own peak resident memory (Linux VmHWM), printed on its stderr.
_HWM = "import sys; print(open('/proc/self/status').read(), file=sys.stderr)"
#: When the probe's import is done: its clock and its CPU so far (its exit not included).
_DONE = "import sys, time; print('IMPORTED', time.time(), time.process_time(), file=sys.stderr)"
ET = dg.DagsterEventType
#: The warm run launcher's server (command line) and its forked workers (process name).
WARM_SERVER = "sec_assets.deploy.warm_server"
WORKER_MARK = "warm-run-worker"
WARM_TAG = "sec_assets/warm_worker"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _env(home: Path | None, data: Path | None, code: Path) -> dict[str, str]:
    """The environment of a path's processes: ``code``'s package first, a fresh instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env["PYTHONPATH"] = str(code)
    if home and data:
        env.update(DAGSTER_HOME=str(home), SEC_DATA_DIR=str(data))
    return env


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def compile_packages(code: Path) -> None:
    """Byte-compile ``code``'s packages, as installing the wheel does: with
    ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``, every process would otherwise compile
    the code location's modules again (0.1–0.3 CPU s on this machine), a cost of the checkout,
    not of the code."""
    cmd = [sys.executable, "-m", "compileall", "-q", "sec_assets", "sec_sim", "sec_tools"]
    subprocess.run(cmd, cwd=code, check=True, capture_output=True)


def import_probes(code: Path) -> dict[str, Any]:
    """Fresh processes: the interpreter alone, ``import dagster``, and the code location's
    import (wall, CPU, peak RSS; median of :data:`PROBES`): the whole process, and until the
    import is done (``import_*``: the process's exit left out, which a run pays only once)."""
    out: dict[str, Any] = {"load_start": _load()}
    for name, probe in (
        ("process_start", "pass"),
        ("dagster", "import dagster"),
        ("definitions", "import sec_assets.definitions"),
    ):
        cmd = [sys.executable, "-c", f"{probe}; {_DONE}; {_HWM}"]
        runs = [run_measured(cmd, env=_env(None, None, code), cwd=code)[0] for _ in range(PROBES)]
        hwm = [int(r.stderr.split("VmHWM:")[1].split()[0]) / 1024 for r in runs]
        done = [r.stderr.split("IMPORTED")[1].split()[:2] for r in runs]
        out[name] = {
            "wall_s": round(statistics.median(r.wall_s for r in runs), 3),
            "cpu_s": round(statistics.median(r.cpu_s for r in runs), 3),
            "import_wall_s": statistics.median(
                float(t) - r.started for (t, _), r in zip(done, runs, strict=True)
            ),
            "import_cpu_s": statistics.median(float(c) for _, c in done),
            "peak_rss_mb": round(statistics.median(hwm), 1),
        }
    out["load_end"] = _load()
    return out


def _events(home: Path, run_id: str | None = None) -> list[dg.EventLogEntry]:
    instance = dg.DagsterInstance.from_config(str(home))
    run = instance.get_run_by_id(run_id) if run_id else instance.get_runs(limit=1)[0]
    assert run is not None
    return list(instance.all_logs(run.run_id))


def _at(logs: list[dg.EventLogEntry], kind: ET) -> float | None:
    return next((e.timestamp for e in logs if e.dagster_event_type == kind), None)


def split(logs: list[dg.EventLogEntry], cpu: Samples, began: float, ended: float) -> dict:
    """The run's phases, each ``{"wall_s", "cpu_s"}``, from its events and its process's CPU
    samples; ``began``/``ended``: the process's start and exit."""
    run_start, run_end = _at(logs, ET.RUN_START), _at(logs, ET.RUN_SUCCESS)
    if run_start is None or run_end is None:
        raise RuntimeError("the run did not succeed")
    res0, res1 = _at(logs, ET.RESOURCE_INIT_STARTED), _at(logs, ET.RESOURCE_INIT_SUCCESS)
    starts = {e.step_key: e.timestamp for e in logs if e.dagster_event_type == ET.STEP_START}
    steps = [
        (starts[e.step_key], e.timestamp)
        for e in logs
        if e.dagster_event_type == ET.STEP_SUCCESS and e.step_key in starts
    ]
    last_step = max(t1 for _, t1 in steps)

    def phase(t0: float, t1: float) -> dict[str, float]:
        return {"wall_s": t1 - t0, "cpu_s": cpu.cpu_between(t0, t1)}

    work = {
        "wall_s": sum(t1 - t0 for t0, t1 in steps),
        "cpu_s": sum(cpu.cpu_between(t0, t1) for t0, t1 in steps),
    }
    resources = phase(res0, res1) if res0 and res1 else {"wall_s": 0.0, "cpu_s": 0.0}
    between = phase(run_start, last_step)
    return {
        "start_up": phase(began, run_start),
        "resources": resources,
        "work": work,
        "machinery": {k: between[k] - work[k] - resources[k] for k in work},
        "teardown": phase(last_step, run_end),  # resources released: DuckDB's close, checkpoint
        "exit": phase(run_end, ended),
        "total": phase(began, ended),
        "steps": len(steps),
        "peak_rss_mb": round(cpu.peak_rss_mb, 1),
    }


def _materialize(
    env: dict[str, str], selection: list[str], partition: str | None
) -> tuple[Finished, Samples]:
    code = Path(env["PYTHONPATH"])
    cmd = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    cmd += ["-m", "sec_assets.definitions", "--select", ",".join(selection)]
    cmd += ["--partition", partition] if partition else []
    done, samples = run_measured(cmd, env=env, cwd=code)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return done, samples


def cli_run(home: Path, data: Path, month: Month, code: Path) -> dict[str, Any]:
    load0 = _load()
    done, samples = _materialize(_env(home, data, code), SELECTION, month.key)
    out = split(_events(home), samples, done.started, done.ended)
    return {**out, "load_start": load0, "load_end": _load()}


def functions_run(data: Path, month: Month, code: Path) -> dict[str, Any]:
    load0 = _load()
    cmd = [sys.executable, "-m", "sec_tools.bench.silver", "--data", str(data)]
    cmd += ["--db", DUCKDB_FILE, "--one-month", month.label]  # the file the CLI's runs use
    done, _ = run_measured(cmd, env=_env(None, None, code), cwd=code)
    if done.returncode != 0:
        raise RuntimeError(f"functions path failed:\n{done.stderr[-3000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "total": {"wall_s": done.wall_s, "cpu_s": done.cpu_s},
        "work": {"wall_s": got["run_s"]},
        "peak_rss_mb": round(done.peak_rss_mb, 1),
        "load_start": load0,
        "load_end": _load(),
    }


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}
"""


def _graphql(port: int, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as answer:
        return dict(json.loads(answer.read()))


def _launch(port: int, month: Month, deadline: float) -> str:
    """``launchRun`` of the month's assets, as the UI's "Materialize" sends it, retried until
    the webserver and its code location are up."""
    params = {
        "selector": {
            "repositoryLocationName": "sec_assets",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": [key]} for key in SELECTION],
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": month.key}]},
    }
    last = "webserver not answering"
    while time.monotonic() < deadline:
        try:
            got = _graphql(port, LAUNCH, {"params": params})["data"]["launchRun"]
        except urllib.error.HTTPError as exc:  # a query the server refuses: no retry helps
            raise RuntimeError(f"launchRun refused: {exc.read()[:2000]!r}") from exc
        except (OSError, KeyError, TypeError) as exc:
            last = str(exc)
            time.sleep(1)
            continue
        if got["__typename"] == "LaunchRunSuccess":
            return str(got["run"]["runId"])
        last = f"{got['__typename']}: {got.get('message', '')}"
        time.sleep(1)
    raise RuntimeError(f"launchRun never succeeded: {last}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def daemon_run(
    home: Path, data: Path, month: Month, code: Path, timeout_s: float = 600
) -> dict[str, Any]:
    """``dagster dev`` on ``home``; the month launched over GraphQL; its run worker traced."""
    port = _free_port()
    cmd = [str(Path(sys.executable).with_name("dagster")), "dev", "-w", "workspace.yaml"]
    cmd += ["-h", "127.0.0.1", "-p", str(port)]
    log = (home / "dev.log").open("w")
    dev = subprocess.Popen(
        cmd, env=_env(home, data, code), cwd=code, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + timeout_s
    try:
        load0 = _load()

        servers: set[int] = set()

        def workers() -> list[int]:
            """A run's worker, spawned by the code server (Dagster's default launcher) or
            forked by the warm run launcher's server (traced too: its CPU is paid once)."""
            found = []
            for p in descendants(dev.pid):
                line = cmdline(p)
                if any(mark in line for mark in ("spawn_main", "execute_run", WARM_SERVER)):
                    found.append(p)
                    if WARM_SERVER in line and _comm(p) != WORKER_MARK:
                        servers.add(p)
            return found

        with Trace(workers) as trace:
            run_id = _launch(port, month, deadline)
            instance = dg.DagsterInstance.from_config(str(home))
            while (run := instance.get_run_by_id(run_id)) is None or not run.is_finished:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"run {run_id} did not finish in {timeout_s} s")
                time.sleep(0.2)
            logs = _events(home, run_id)
            pid = next(
                e.dagster_event.pid
                for e in logs
                if e.dagster_event and e.dagster_event_type == ET.RUN_START
            )
            while pid is not None and cmdline(pid):  # the worker's exit
                time.sleep(0.05)
        if not run.is_success:
            raise RuntimeError(f"run {run_id} ended {run.status}; see {home / 'dev.log'}")
        if pid not in trace.by_pid:
            raise RuntimeError(f"the run's worker (pid {pid}) was not seen: {trace.by_pid}")
        samples = trace.by_pid[pid]
        began = started_at(pid) or samples.times[0]
        out = split(logs, samples, began, samples.times[-1])
        # A forked worker imported nothing itself: its server did, once per code version.
        out["forked"] = WARM_TAG in run.tags
        if out["forked"]:
            out["warm_server"] = {
                "cpu_s": sum(trace.by_pid[s].cpu[-1] for s in servers if s in trace.by_pid)
            }
        queued, starting = _at(logs, ET.RUN_ENQUEUED), _at(logs, ET.RUN_STARTING)
        if queued is None or starting is None:
            raise RuntimeError("the run was not queued and launched by the daemon")
        out["queue_wait"] = {"wall_s": starting - queued}  # the daemon's dequeue interval
        out["launch"] = {"wall_s": began - starting}  # until the worker process exists
        return {**out, "load_start": load0, "load_end": _load()}
    finally:
        dev.terminate()
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dev.kill()
        log.close()


def _counts(data: Path) -> dict[str, float]:
    """The month's tables in a path's warehouse (the DuckDB under ``data``): rows of the facts,
    episodes and ledger, and their customers (the paths must agree)."""
    from pydantic import SecretStr

    from sec_assets.settings import load_settings
    from sec_assets.warehouse.connect import connect_warehouse

    wh = connect_warehouse(load_settings(pg_dsn=SecretStr(""), data_dir=data))
    sql = {
        "facts": "SELECT count(*) AS n, sum(clientes_afectados) AS c "
        "FROM silver.fact_interrupciones",
        "episodes": "SELECT count(*) AS n, sum(peak_customers) AS c FROM silver.fact_eventos",
        "ledger": "SELECT count(*) AS n, 0 AS c FROM silver.snapshot_ledger",
    }
    out: dict[str, float] = {}
    for name, query in sql.items():
        [row] = wh.read(query).to_dicts()
        out[name], out[f"{name}_customers"] = row["n"], row["c"] or 0
    return out


def instance_yaml(code: Path) -> Path:
    """The instance settings ``code`` ships (``config/dagster.yaml``), each checkout its own."""
    own = code / "config" / "dagster.yaml"
    return own if own.exists() else REPO / "config" / "dagster.yaml"


def bench_overhead(
    history: Path, month: Month = MONTH, *, daemon: bool = True, code: Path = REPO
) -> dict[str, Any]:
    """The paths on one month of ``history``'s bronze (``history/bronze``), running the
    package found in ``code`` (this checkout; another one to compare with) with its instance
    settings."""
    compile_packages(code)
    with tempfile.TemporaryDirectory(prefix="sec_overhead_") as tmp:
        root = Path(tmp)
        base = root / "base"
        src = history / "bronze" / "sec_snapshots" / f"month={month.label}"
        shutil.copytree(src, base / "data" / "bronze" / "sec_snapshots" / src.name)
        (base / "home").mkdir()
        shutil.copy(instance_yaml(code), base / "home" / "dagster.yaml")
        _materialize(_env(base / "home", base / "data", code), DIMS, None)  # not timed
        fresh = ["functions", "cli", "daemon"] if daemon else ["functions", "cli"]
        for name in fresh:  # each from the same prepared warehouse, on a fresh instance
            shutil.copytree(base / "data", root / name / "data")
            (root / name / "home").mkdir()
            shutil.copy(instance_yaml(code), root / name / "home" / "dagster.yaml")
        # The same warehouse, on the instance that already ran the preparation.
        shutil.copytree(base / "data", root / "cli_used" / "data")
        shutil.copytree(base / "home", root / "cli_used" / "home")
        paths = [*fresh, "cli_used"]
        report: dict[str, Any] = {"month": month.label, "probes": import_probes(code)}
        report["functions"] = functions_run(root / "functions" / "data", month, code)
        report["cli"] = cli_run(root / "cli" / "home", root / "cli" / "data", month, code)
        used = root / "cli_used"
        report["cli_used"] = cli_run(used / "home", used / "data", month, code)
        if daemon:
            d = root / "daemon"
            report["daemon"] = daemon_run(d / "home", d / "data", month, code)
        report["tables"] = {name: _counts(root / name / "data") for name in paths}
    report["tables_identical"] = len({json.dumps(t) for t in report["tables"].values()}) == 1
    return _rounded(report)


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 3)
    return value


def overhead_cpu(path: dict[str, Any]) -> float:
    """A run's own cost: its process's CPU beyond the steps' work."""
    return float(path["total"]["cpu_s"] - path["work"]["cpu_s"])


PHASES = [
    ("process start", "process_start"),
    ("definitions import", "definitions"),
    ("rest of start-up", "start_up"),
    ("resource set-up", "resources"),
    ("the month's work (steps)", "work"),
    ("run machinery", "machinery"),
    ("teardown (resources released)", "teardown"),
    ("process exit", "exit"),
    ("whole process", "total"),
]


def markdown(r: dict[str, Any]) -> str:
    """The phases of each path side by side (wall s / CPU s)."""
    probes = r["probes"]
    paths = [p for p in ("cli", "cli_used", "daemon") if p in r]
    head = "| phase | " + " | ".join(f"{p} wall s | {p} CPU s" for p in paths) + " |"
    lines = [
        f"## Run overhead: one month ({r['month']}, cached bronze → golden Parquet, DuckDB)",
        "",
        head,
        "|---|" + "---|---|" * len(paths),
    ]
    for label, key in PHASES:
        cells = []
        for p in paths:
            if r[p].get("forked") and key in ("process_start", "definitions"):
                cells.append("— | — (forked)")  # done once, in the warm server
            elif key == "start_up" and r[p].get("forked"):
                got = r[p]["start_up"]  # from the fork to RUN_START: all of it the run's
                cells.append(f"{got['wall_s']:.2f} | {got['cpu_s']:.2f}")
            elif key in ("process_start", "definitions"):
                got = _imported(probes[key])
                if key == "definitions":
                    base = _imported(probes["process_start"])
                    got = {k: got[k] - base[k] for k in ("wall_s", "cpu_s")}
                cells.append(f"{got['wall_s']:.2f} | {got['cpu_s']:.2f}")
            elif key == "start_up":
                got, probe = r[p]["start_up"], _imported(probes["definitions"])
                cells.append(
                    f"{got['wall_s'] - probe['wall_s']:.2f} | {got['cpu_s'] - probe['cpu_s']:.2f}"
                )
            else:
                got = r[p][key]
                cells.append(f"{got['wall_s']:.2f} | {got['cpu_s']:.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    fn = r["functions"]
    lines += [
        "",
        "| measure | value |",
        "|---|---|",
        f"| definitions import, fresh process: wall / CPU s until imported (whole process), "
        f"peak RSS | {_probe(probes['definitions'])} (`import dagster` alone: "
        f"{_probe(probes['dagster'])}) |",
        f"| functions path, whole process: wall / CPU s (its work: wall s) | "
        f"{fn['total']['wall_s']:.2f} / {fn['total']['cpu_s']:.2f} ({fn['work']['wall_s']:.2f}) |",
    ]
    for p in paths:
        got = r[p]
        ratio_w = got["total"]["wall_s"] / fn["total"]["wall_s"]
        ratio_c = got["total"]["cpu_s"] / fn["total"]["cpu_s"]
        lines.append(
            f"| {p}: run overhead (CPU beyond the steps) / against the functions path "
            f"(wall, CPU) | {overhead_cpu(got):.2f} CPU s / {ratio_w:.2f}×, {ratio_c:.2f}× |"
        )
    if "daemon" in r:
        d = r["daemon"]
        lines.append(
            f"| daemon: queue wait, launch (wall s) | {d['queue_wait']['wall_s']:.2f}, "
            f"{d['launch']['wall_s']:.2f} |"
        )
        if d.get("forked"):
            lines.append(
                "| daemon: the warm server's own CPU (imports, once per code version) | "
                f"{d['warm_server']['cpu_s']:.2f} CPU s |"
            )
    loads = [r["probes"]["load_start"]] + [r[p]["load_start"] for p in ["functions", *paths]]
    lines += [
        f"| tables identical on every path | {r['tables_identical']} |",
        f"| machine load (1-min average) at each path's start | "
        f"{', '.join(f'{x:.2f}' for x in loads)} |",
        "",
    ]
    return "\n".join(lines)


def _imported(probe: dict[str, float]) -> dict[str, float]:
    """A probe until its import was done (its exit left out); older reports: the whole."""
    wall, cpu = (
        probe.get("import_wall_s", probe["wall_s"]),
        probe.get("import_cpu_s", probe["cpu_s"]),
    )
    return {"wall_s": wall, "cpu_s": cpu}


def _probe(probe: dict[str, float]) -> str:
    got = _imported(probe)
    return (
        f"{got['wall_s']:.2f} / {got['cpu_s']:.2f} ({probe['wall_s']:.2f} / {probe['cpu_s']:.2f})"
        f", {probe['peak_rss_mb']:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--history", type=Path, default=Path("bench_out/history"))
    p.add_argument("--no-daemon", action="store_true", help="the CLI and functions paths only")
    p.add_argument(
        "--before", type=Path, default=None, help="another checkout, measured first (e.g. main)"
    )
    p.add_argument("--rounds", type=int, default=1, help="rounds, the checkouts alternating")
    args = p.parse_args(argv)
    from sec_tools.bench.genbronze import generate

    history = args.history.resolve()
    generate(history / "bronze", [MONTH])
    codes = ([args.before.resolve()] if args.before else []) + [REPO]
    reports: dict[str, list[dict[str, Any]]] = {str(code): [] for code in codes}
    for _ in range(args.rounds):
        for code in codes:
            report = bench_overhead(history, daemon=not args.no_daemon, code=code)
            reports[str(code)].append(report)
            print(json.dumps({"code": str(code), **report}))
            print(f"Code: {code}\n\n{markdown(report)}", flush=True)
    print(rounds_markdown(reports))
    return 0


def rounds_markdown(reports: dict[str, list[dict[str, Any]]]) -> str:
    """Each checkout's run overhead (CPU s beyond the steps) per round and its median, per path,
    with the machine's load at each run's start."""
    lines = ["| code | path | run overhead, CPU s (rounds) | median | load at start |"]
    lines.append("|---|---|---|---|---|")
    for code, runs in reports.items():
        for path in ("cli", "cli_used", "daemon"):
            got = [r[path] for r in runs if path in r]
            if not got:
                continue
            cpu = [overhead_cpu(g) for g in got]
            loads = ", ".join(f"{g['load_start']:.1f}" for g in got)
            lines.append(
                f"| {code} | {path} | {', '.join(f'{c:.2f}' for c in cpu)} "
                f"| {statistics.median(cpu):.2f} | {loads} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

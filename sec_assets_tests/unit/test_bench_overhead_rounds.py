"""The run-overhead bench: each checkout measured with the instance settings it ships, and its
rounds summed up per path with their median and the machine's load."""

from __future__ import annotations

from pathlib import Path

from sec_tools.bench.overhead import REPO, instance_yaml, markdown, rounds_markdown


def test_each_checkout_runs_on_its_own_instance_settings(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert instance_yaml(tmp_path) == tmp_path / "config" / "dagster.yaml"
    # a checkout from before the file existed: this checkout's settings
    assert instance_yaml(tmp_path / "older") == REPO / "config" / "dagster.yaml"


def _path(total: float, work: float, load: float) -> dict:
    return {"total": {"cpu_s": total}, "work": {"cpu_s": work}, "load_start": load}


def test_rounds_give_each_path_its_median_and_loads() -> None:
    runs = [
        {"cli": _path(5.0, 3.0, 1.0), "cli_used": _path(4.5, 3.0, 1.5)},
        {"cli": _path(6.0, 3.0, 2.0), "cli_used": _path(4.0, 3.0, 2.5)},
        {"cli": _path(5.5, 3.0, 3.0), "cli_used": _path(4.2, 3.0, 3.5)},
    ]
    table = rounds_markdown({"before": runs}).splitlines()
    assert "| before | cli | 2.00, 3.00, 2.50 | 2.50 | 1.0, 2.0, 3.0 |" in table
    assert "| before | cli_used | 1.50, 1.00, 1.20 | 1.20 | 1.5, 2.5, 3.5 |" in table
    assert not [line for line in table if "daemon" in line]  # not measured: no row


def _phases(forked: bool) -> dict:
    keys = ["start_up", "resources", "work", "machinery", "teardown", "exit", "total"]
    out: dict = {k: {"wall_s": 1.0, "cpu_s": 1.0} for k in keys}
    out["total"] = {"wall_s": 7.0, "cpu_s": 7.0}
    out.update(load_start=1.0, queue_wait={"wall_s": 0.5}, launch={"wall_s": 0.2})
    if forked:
        out.update(forked=True, warm_server={"cpu_s": 1.8})
    return out


def test_a_forked_worker_has_no_import_phase_and_its_server_is_shown_apart() -> None:
    probe = {"wall_s": 1.0, "cpu_s": 1.0, "import_wall_s": 0.9, "import_cpu_s": 0.9}
    probe["peak_rss_mb"] = 70.0
    report = {
        "month": "2024-08",
        "probes": {"process_start": probe, "dagster": probe, "definitions": probe, "load_start": 1},
        "functions": {"total": {"wall_s": 4.0, "cpu_s": 4.0}, "work": {"wall_s": 2.0}},
        "cli": _phases(False),
        "daemon": _phases(True),
        "tables_identical": True,
    }
    report["functions"]["load_start"] = 1.0
    lines = markdown(report).splitlines()
    start = next(line for line in lines if line.startswith("| definitions import |"))
    assert start.endswith("| — | — (forked) |")  # the CLI's probe-based cell stays
    rest = next(line for line in lines if line.startswith("| rest of start-up |"))
    assert rest.endswith("| 1.00 | 1.00 |")  # the fork to RUN_START, all of it the run's
    assert (
        "| daemon: the warm server's own CPU (imports, once per code version) | 1.80 CPU s |"
        in lines
    )

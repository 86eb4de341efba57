"""The warm run launcher (``config/dagster.yaml``) on a real instance with the shipped settings:
runs forked from one warm server, terminated, killed, a code change, and the default launcher
taking what the server cannot."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.launcher import WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import ModuleTarget
from dagster_graphql.test.utils import execute_dagster_graphql

from sec_assets.deploy.warm_launcher import WORKER_TAG, WarmRunLauncher
from sec_assets.deploy.warm_server import WORKER_MARK

REPO = Path(__file__).resolve().parents[2]
LOCATION = "sec_assets_tests.warm_location"
TIMEOUT = 180  # seconds; a run takes a few
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""


@contextmanager
def instance_and_workspace(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str = "dagster.yaml",
    **launcher: object,
) -> Iterator[tuple[dg.DagsterInstance, object]]:
    """The shipped ``config/<config>`` in a fresh DAGSTER_HOME (its run launcher's config
    extended by ``launcher``), and the test code location served as ``dagster dev`` serves it."""
    home = tmp_path / "home"
    home.mkdir()
    settings = yaml.safe_load((REPO / "config" / config).read_text())
    settings["run_launcher"]["config"] = {"module": LOCATION, **launcher}
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    (tmp_path / "marks").mkdir()
    monkeypatch.setenv("WARM_TEST_MARKS", str(tmp_path / "marks"))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    target = ModuleTarget(
        module_name=LOCATION, attribute=None, working_directory=str(REPO), location_name="warm"
    )
    try:
        with (
            dg.DagsterInstance.from_config(str(home)) as instance,
            WorkspaceProcessContext(instance, target) as workspace,
        ):
            yield instance, workspace
    finally:  # a test that failed leaves no waiting worker behind (each is in its own session)
        for mark in (tmp_path / "marks").glob("*.started"):
            with contextlib.suppress(ValueError, OSError):
                pid = int(mark.read_text())
                if Path(f"/proc/{pid}/comm").read_text().strip() == WORKER_MARK:
                    os.kill(pid, signal.SIGKILL)


def launch(instance: dg.DagsterInstance, workspace, asset: str, month: str | None) -> str:
    """``launchRun`` as the UI sends it (queued), then launched as the daemon's queue does."""
    context = workspace.create_request_context()
    params = {
        "selector": {
            "repositoryLocationName": "warm",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": [asset]}],
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": month}]}
        if month
        else {},
    }
    got = execute_dagster_graphql(context, LAUNCH, {"params": {**params}}).data["launchRun"]
    assert got["__typename"] == "LaunchRunSuccess", got
    run_id = got["run"]["runId"]
    instance.launch_run(run_id, context)
    return str(run_id)


def finished(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun:
    deadline = time.monotonic() + TIMEOUT
    while not (run := instance.get_run_by_id(run_id)) or not run.is_finished:
        assert time.monotonic() < deadline, f"run {run_id} did not finish"
        time.sleep(0.2)
    return run


def wait_for(path: Path) -> int:
    deadline = time.monotonic() + TIMEOUT
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.1)
    return int(path.read_text())


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def worker_of(instance: dg.DagsterInstance, run_id: str) -> dict:
    run = instance.get_run_by_id(run_id)
    assert run is not None and WORKER_TAG in run.tags, "not launched by the warm server"
    return dict(json.loads(run.tags[WORKER_TAG]))


def test_the_shipped_launcher_forks_months_from_one_warm_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with instance_and_workspace(tmp_path, monkeypatch) as (instance, workspace):
        assert isinstance(instance.run_launcher, WarmRunLauncher)
        servers = []
        for month in ("2024-08", "2024-09"):
            run_id = launch(instance, workspace, "month_pid", month)
            assert finished(instance, run_id).status == dg.DagsterRunStatus.SUCCESS
            pid = int((tmp_path / "marks" / f"{run_id}.pid").read_text())
            assert worker_of(instance, run_id)["pid"] == pid
            server = instance.run_launcher._server
            assert server is not None
            servers.append(server.process.pid)
            assert "sec_assets.deploy.warm_server" in cmdline(server.process.pid)
            logs = instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
            assert any(f"(pid: {pid})" in (e.message or "") for e in logs)
        assert servers[0] == servers[1], "the second run did not reuse the warm server"


def test_the_worker_is_the_servers_child_and_outlives_its_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with instance_and_workspace(tmp_path, monkeypatch) as (instance, workspace):
        launcher = instance.run_launcher
        run_id = launch(instance, workspace, "waiting", None)
        pid = wait_for(tmp_path / "marks" / f"{run_id}.started")
        server = launcher._server.process
        assert parent_of(pid) == server.pid
        assert os.getsid(pid) == pid  # its own session
        launcher.dispose()  # the server takes no more runs; the run goes on
        run = instance.get_run_by_id(run_id)
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
        # The server still reaps its worker: one killed now is its run's failure.
        os.kill(pid, signal.SIGKILL)
        assert finished(instance, run_id).status == dg.DagsterRunStatus.FAILURE
        assert server.wait(timeout=TIMEOUT) == 0  # and then it exits


@pytest.mark.postgres
def test_on_a_postgres_instance_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str
) -> None:
    """The server preloads dagster-postgres; each worker opens its own connections."""
    monkeypatch.setenv("DAGSTER_PG_URL", pg_database)
    config = "dagster_postgres.yaml"
    with instance_and_workspace(tmp_path, monkeypatch, config) as (instance, workspace):
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        month = launch(instance, workspace, "month_pid", "2024-08")
        assert finished(instance, month).is_success
        assert worker_of(instance, month)["pid"] == wait_for(tmp_path / "marks" / f"{month}.pid")
        waiting = launch(instance, workspace, "waiting", None)
        wait_for(tmp_path / "marks" / f"{waiting}.started")
        assert instance.run_launcher.terminate(waiting)
        assert finished(instance, waiting).status == dg.DagsterRunStatus.CANCELED


def test_terminate_cancels_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with instance_and_workspace(tmp_path, monkeypatch) as (instance, workspace):
        run_id = launch(instance, workspace, "waiting", None)
        wait_for(tmp_path / "marks" / f"{run_id}.started")
        assert instance.run_launcher.terminate(run_id)
        run = finished(instance, run_id)
        assert run.status == dg.DagsterRunStatus.CANCELED
        assert not instance.run_launcher.terminate(run_id)  # finished: nothing to terminate


def test_a_killed_worker_is_seen_and_its_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with instance_and_workspace(tmp_path, monkeypatch) as (instance, workspace):
        launcher = instance.run_launcher
        run_id = launch(instance, workspace, "waiting", None)
        pid = wait_for(tmp_path / "marks" / f"{run_id}.started")
        run = instance.get_run_by_id(run_id)
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + TIMEOUT
        while launcher.check_run_worker_health(run).status != WorkerStatus.FAILED:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        run = finished(instance, run_id)  # the server reaps it and reports the crash
        assert run.status == dg.DagsterRunStatus.FAILURE
        logs = instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
        assert any("signal 9" in (e.message or "") or "SIGKILL" in (e.message or "") for e in logs)


def test_a_code_change_starts_a_new_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "code" / "edited_package"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    packages = ["edited_package", "sec_assets_tests"]
    with instance_and_workspace(tmp_path, monkeypatch, packages=packages) as (instance, workspace):
        first = launch(instance, workspace, "month_pid", "2024-08")
        assert finished(instance, first).is_success
        server = instance.run_launcher._server.process
        again = launch(instance, workspace, "month_pid", "2024-08")
        assert finished(instance, again).is_success
        assert instance.run_launcher._server.process is server  # nothing changed
        (package / "__init__.py").write_text("VALUE = 2  # edited\n")
        edited = launch(instance, workspace, "month_pid", "2024-08")
        assert finished(instance, edited).is_success
        assert server.wait(timeout=TIMEOUT) == 0, "the stale server still runs"
        new = instance.run_launcher._server.process
        assert new.pid != server.pid
        pid = int((tmp_path / "marks" / f"{edited}.pid").read_text())
        assert worker_of(instance, edited)["pid"] == pid


def test_a_server_that_cannot_start_leaves_runs_to_the_default_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with instance_and_workspace(tmp_path, monkeypatch) as (instance, workspace):
        monkeypatch.setenv("PYTHONHOME", str(tmp_path / "no_python_here"))  # the server's only
        with caplog.at_level(logging.WARNING, logger="sec_assets.deploy.warm_launcher"):
            runs = [launch(instance, workspace, "month_pid", "2024-08") for _ in range(2)]
        for run_id in runs:
            assert finished(instance, run_id).is_success
            run = instance.get_run_by_id(run_id)
            assert WORKER_TAG not in run.tags
            assert GRPC_INFO_TAG in run.tags  # started by the code server, as by default
        told = [r for r in caplog.records if "default run launcher" in r.getMessage()]
        assert len(told) == 1, "the reason is said once"
        assert "warm server" in told[0].getMessage()


def test_another_code_location_goes_to_the_default_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped settings as they are: warm runs for ``sec_assets.definitions`` only."""
    shutil.copy(REPO / "config" / "dagster.yaml", tmp_path / "dagster.yaml")
    (tmp_path / "marks").mkdir()
    target = ModuleTarget(
        module_name=LOCATION, attribute=None, working_directory=str(REPO), location_name="warm"
    )
    monkeypatch.setenv("WARM_TEST_MARKS", str(tmp_path / "marks"))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_launcher._module == "sec_assets.definitions"
        with WorkspaceProcessContext(instance, target) as workspace:
            run_id = launch(instance, workspace, "month_pid", "2024-08")
            assert finished(instance, run_id).is_success
            assert WORKER_TAG not in instance.get_run_by_id(run_id).tags
            assert instance.run_launcher._server is None

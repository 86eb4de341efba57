"""A run launcher whose run workers are forked from a warm server (``config/dagster.yaml``).

Dagster's default launcher has the code server spawn a fresh interpreter for each run, which
imports Dagster, its storage and the code location again before any work. Here one server per
launching process (the daemon) has imported them once, and forks each run's worker, which
executes the run as ``dagster api execute_run`` does. A run of another code location, or any
launch the server cannot take, is launched as the default launcher does.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.errors import DagsterLaunchFailedError
from dagster._core.launcher import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from sec_assets.deploy.warm_channel import (
    WarmLaunchLost,
    WarmServer,
    WarmServerError,
    fingerprint,
)

#: The run's tag with its warm worker: pid, host and start time (clock ticks since boot).
WORKER_TAG = "sec_assets/warm_worker"
DEFAULT_MODULE = "sec_assets.definitions"
DEFAULT_PACKAGES = ["sec_assets", "dbt_like_sql"]
log = logging.getLogger(__name__)


def _started(pid: int) -> int | None:
    """A live process's start time (``/proc/<pid>/stat``), None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


class WarmRunLauncher(RunLauncher, ConfigurableClass):
    """Runs of ``module``'s code location forked from a warm server; others as the default."""

    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        module: str = DEFAULT_MODULE,
        packages: Sequence[str] = tuple(DEFAULT_PACKAGES),
        start_timeout_seconds: float = 120.0,
    ) -> None:
        self._inst_data = inst_data
        self._module = module
        self._packages = list(packages)
        self._timeout_s = start_timeout_seconds
        self._fallback = dg.DefaultRunLauncher()
        self._lock = threading.Lock()
        self._server: WarmServer | None = None
        self._told: set[str] = set()
        self._run_ids: set[str] = set()
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return {
            "module": dg.Field(str, is_required=False, default_value=DEFAULT_MODULE),
            "packages": dg.Field([str], is_required=False, default_value=DEFAULT_PACKAGES),
            "start_timeout_seconds": dg.Field(float, is_required=False, default_value=120.0),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> WarmRunLauncher:
        return cls(inst_data=inst_data, **config_value)

    def register_instance(self, instance: dg.DagsterInstance) -> None:
        super().register_instance(instance)
        self._fallback.register_instance(instance)

    # Launching

    def _not_warm(self, run: dg.DagsterRun) -> str | None:
        """Why the run cannot go to the warm server, or None."""
        origin = run.job_code_origin
        if origin is None:
            return "the run has no code origin"
        pointer = origin.repository_origin.code_pointer
        if not isinstance(pointer, ModuleCodePointer) or pointer.module != self._module:
            return f"the run's code location is not {self._module} ({pointer.describe()})"
        if origin.executable_path != sys.executable:
            return f"the run's interpreter is {origin.executable_path}, not {sys.executable}"
        return None

    def _fork(self, run: dg.DagsterRun) -> int:
        origin = run.job_code_origin
        assert origin is not None
        try:
            key = fingerprint(origin.repository_origin, self._packages)
        except OSError as exc:
            raise WarmServerError("the code's fingerprint could not be read", exc) from exc
        with self._lock:
            if self._server and (self._server.key != key or not self._server.alive):
                self._server.stop()  # the code changed: its workers go on, new runs go anew
                self._server = None
            if self._server is None:
                ref = self._instance.get_ref()
                self._server = WarmServer(ref, origin.repository_origin, key, self._timeout_s)
            try:
                return self._server.launch(run.run_id)
            except (WarmServerError, WarmLaunchLost):
                self._server = None  # stopped by the failed exchange
                raise

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        why = self._not_warm(run)
        if why is None:
            try:
                pid = self._fork(run)
            except WarmServerError as exc:  # refused before any fork: the fallback launches
                why, reason = str(exc), exc.reason
            except WarmLaunchLost as exc:  # a worker may exist: never a second launch
                raise DagsterLaunchFailedError(
                    f"Run {run.run_id} was sent to the warm server, which did not confirm the "
                    f"launch ({exc}); not launched again, so that it cannot run twice."
                ) from exc
            else:
                self._forked(run, pid)
                return
        else:
            reason = why
        if reason not in self._told:
            self._told.add(reason)
            log.warning("Runs launched as Dagster's default run launcher does: %s", why)
        self._fallback.launch_run(context)

    def _forked(self, run: dg.DagsterRun, pid: int) -> None:
        """The worker's record (pid, host, start time) on the run. The worker runs already: a
        failure here is logged, never raised (raising would fail a run that is running)."""
        self._run_ids.add(run.run_id)
        try:
            worker = {"pid": pid, "host": socket.gethostname(), "started": _started(pid)}
            self._instance.add_run_tags(run.run_id, {WORKER_TAG: json.dumps(worker)})
        except Exception:
            log.exception("Run %s: its warm worker (pid %s) was not recorded", run.run_id, pid)

    # A launched run's worker

    def _worker(self, run: dg.DagsterRun) -> dict[str, Any] | None:
        tag = run.tags.get(WORKER_TAG)
        return json.loads(tag) if tag else None

    def _alive(self, worker: Mapping[str, Any]) -> bool:
        if worker["host"] != socket.gethostname():
            return False
        started = _started(int(worker["pid"]))
        return started is not None and started == worker["started"]

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if not run or run.is_finished:
            return False
        worker = self._worker(run)
        if worker is None:
            return self._fallback.terminate(run_id)
        self._instance.report_run_canceling(run)
        if not self._alive(worker):
            self._instance.report_engine_event(
                f"The run's worker (pid {worker['pid']} on {worker['host']}) is not running "
                "on this machine: no termination request sent.",
                dagster_run=run,
                cls=self.__class__,
            )
            return False
        os.kill(int(worker["pid"]), signal.SIGTERM)  # interrupted, as Dagster's run worker is
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        worker = self._worker(run)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "not a warm server's run worker")
        if worker["host"] != socket.gethostname():
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, f"run worker on {worker['host']}")
        if self._alive(worker):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"the run's worker (pid {worker['pid']}) is not running"
        )

    def join(self, timeout: int = 30) -> None:
        self._fallback.join(timeout)
        deadline = time.monotonic() + timeout
        while any(
            (run := self._instance.get_run_by_id(run_id)) and not run.is_finished
            for run_id in list(self._run_ids)
        ):
            if time.monotonic() > deadline:
                raise Exception(f"Timed out waiting for these runs to finish: {self._run_ids!r}")
            time.sleep(0.1)

    def dispose(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

"""The warm fork server: one process that has imported what every run worker needs (Dagster,
its run-execution machinery, the instance's storage, the code location) and forks a worker per
run, which then executes the run as ``dagster api execute_run`` does.

Started by :class:`sec_assets.deploy.warm_launcher.WarmRunLauncher` with one end of a socket
pair as its only channel (``--fd``); one JSON line per message:

- the server, once loaded: ``{"ready": true, "pid": ...}`` (or ``{"error": ...}``);
- ``{"op": "launch", "run_id": ...}`` → ``{"pid": <worker>}`` (or ``{"error": ...}``);
- ``{"op": "exit"}``, or the channel's end of file (the launching process is gone): the
  server takes no more runs; running workers go on (each in its own session), and the server
  exits once it has reaped them.

The server is single-threaded and forks only when no other thread exists. It reaps its workers;
one that ends without its run finished (killed) has its run reported failed, as Dagster's code
server does for a run worker that died.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any

#: Modules whose thread pools must not exist in a process that forks.
THREADED = ("polars", "duckdb", "pyarrow")
#: The run worker's process title mark (a warm worker has no ``execute_run`` command line).
WORKER_MARK = "warm-run-worker"


def _preload(instance_ref: Any, repository_origin: Any) -> None:
    """Import everything a run worker needs, once: the instance's storage (the instance built
    and closed again: no connection outlives this), the run-execution machinery and the code
    location's definitions."""
    import dagster._cli.api
    import dagster._core.executor.in_process  # noqa: F401
    from dagster._core.instance import DagsterInstance
    from dagster._utils.hosted_user_process import recon_repository_from_origin

    with DagsterInstance.from_ref(instance_ref) as instance:
        instance.run_storage  # noqa: B018  (the storage classes, imported and configured)
        instance.event_log_storage  # noqa: B018
    if repository_origin is not None:
        recon_repository_from_origin(repository_origin).get_definition()


def fork_safe() -> str | None:
    """Why forking now would be unsafe, or None."""
    if threading.active_count() != 1:
        return f"{threading.active_count()} threads alive"
    loaded = [name for name in THREADED if name in sys.modules]
    return f"{', '.join(loaded)} imported" if loaded else None


def _run_worker(run_id: str, instance_ref: Any, channel: socket.socket) -> int:
    """In the forked child: execute the run as ``dagster api execute_run`` does."""
    from dagster._cli.api import _execute_run_command_body
    from dagster._core.instance import DagsterInstance
    from dagster._utils.interrupts import capture_interrupts

    from sec_assets.process_gc import skip_collection_at_exit

    with capture_interrupts():  # SIGTERM and SIGINT: the run is interrupted at its next step
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        with DagsterInstance.from_ref(instance_ref) as instance:
            skip_collection_at_exit()
            return _execute_run_command_body(
                run_id, instance, lambda _event: None, set_exit_code_on_failure=False
            )


def _child(run_id: str, instance_ref: Any, channel: socket.socket) -> None:
    """The forked worker's whole life; never returns."""
    code = 1
    try:
        os.setsid()  # the server's end (or its process group's signals) leaves the run alone
        channel.close()
        atexit._clear()  # the server's exit handlers are not the worker's
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _set_title(WORKER_MARK)
        code = _run_worker(run_id, instance_ref, channel)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _set_title(title: str) -> None:
    """The worker's name in ``ps``/``/proc/<pid>/comm`` (its command line stays the server's)."""
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(title[:15])
    except OSError:
        pass


class Server:
    def __init__(self, channel: socket.socket, instance_ref: Any) -> None:
        self.channel = channel
        self.instance_ref = instance_ref
        self.workers: dict[int, str] = {}  # pid → run id
        self.buffer = b""
        self.stopping = False  # SIGTERM: no more runs, only reaping

    def stop(self, *_: object) -> None:
        self.stopping = True

    def send(self, message: dict[str, Any]) -> bool:
        """False if the launcher is gone (the server then only reaps)."""
        try:
            self.channel.sendall((json.dumps(message) + "\n").encode())
        except OSError:
            return False
        return True

    def launch(self, run_id: str) -> dict[str, Any]:
        unsafe = fork_safe()
        if unsafe:
            return {"error": f"not forking: {unsafe}"}
        sys.stdout.flush()
        sys.stderr.flush()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        try:
            pid = os.fork()
            if pid == 0:
                _child(run_id, self.instance_ref, self.channel)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        self.workers[pid] = run_id
        return {"pid": pid}

    def reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run_id = self.workers.pop(pid, None)
            if run_id is not None:
                self._report_crash(run_id, pid, status)

    def _report_crash(self, run_id: str, pid: int, status: int) -> None:
        """A worker that ended before its run finished, whatever its exit code (one that could
        not record the run's end exits 0): the run failed (Dagster's code server reports a
        dead run worker the same way)."""
        code = os.waitstatus_to_exitcode(status)
        try:
            from dagster._core.instance import DagsterInstance
            from dagster._utils import get_run_crash_explanation

            with DagsterInstance.from_ref(self.instance_ref) as instance:
                run = instance.get_run_by_id(run_id)
                if run is None or run.is_finished:
                    return
                message = get_run_crash_explanation(
                    prefix=f"Run worker for {run_id} (pid {pid})", exit_code=code
                )
                instance.report_engine_event(message, run)
                instance.report_run_failed(run)
        except Exception:
            traceback.print_exc()

    def serve(self) -> None:
        """Fork a worker per request until told to exit or the channel ends; then only reap
        the running workers (reporting any that die) and return when none is left."""
        selector = selectors.DefaultSelector()
        selector.register(self.channel, selectors.EVENT_READ)
        while not self.stopping and self._answer(selector.select(timeout=0.5)):
            self.reap()
        selector.close()
        self.channel.close()
        while self.workers:
            time.sleep(0.5)
            self.reap()

    def _answer(self, ready: list) -> bool:
        """The requests received; False once told to exit or the launching process is gone."""
        if not ready:
            return True
        data = self.channel.recv(65536)
        if not data:
            return False
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        requests = [json.loads(line) for line in lines]
        if any(r.get("op") == "exit" for r in requests):
            # A launch queued before the exit was given up by its launcher (it timed out
            # and stopped the server): it is not forked.
            return False
        for request in requests:
            try:
                answer = self.launch(request["run_id"])
            except Exception as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            if not self.send(answer):
                return False
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    args = parser.parse_args(argv)
    channel = socket.socket(fileno=args.fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the launching process stops the server
    try:
        start = json.loads(channel.makefile("rb").readline())
        from dagster._serdes import deserialize_value

        instance_ref = deserialize_value(start["instance_ref"])
        origin = (
            deserialize_value(start["repository_origin"]) if start["repository_origin"] else None
        )
        _preload(instance_ref, origin)
        from sec_assets.process_gc import freeze_loaded

        freeze_loaded()
        unsafe = fork_safe()
        if unsafe:
            raise RuntimeError(f"the loaded server cannot fork: {unsafe}")
    except Exception as exc:
        channel.sendall((json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n").encode())
        return 1
    server = Server(channel, instance_ref)
    signal.signal(signal.SIGTERM, server.stop)  # its workers go on, and are still reaped
    if server.send({"ready": True, "pid": os.getpid()}):
        server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())

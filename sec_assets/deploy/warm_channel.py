"""The launcher's side of the warm fork server: start it, ask it for a run's worker, stop it;
and the fingerprint of the code a server preloaded, so that a run never executes stale code."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from dagster._core.instance import InstanceRef
from dagster._core.origin import RepositoryPythonOrigin
from dagster._serdes import serialize_value


class WarmServerError(Exception):
    """The warm server could not start, or refused a launch before forking (the run goes to
    the fallback). ``reason``: its kind, without the varying details (logged once)."""

    def __init__(self, reason: str, detail: object = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail is not None else reason)
        self.reason = reason


class WarmLaunchLost(Exception):
    """The launch request reached the server but its answer did not come back: a worker may
    exist, so the run must not be launched a second time elsewhere."""


def _package_dirs(names: Iterable[str], search: list[str]) -> list[Path]:
    found = []
    for name in names:
        spec = PathFinder.find_spec(name, search)
        found += [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    return found


def fingerprint(origin: RepositoryPythonOrigin, packages: Iterable[str]) -> str:
    """The interpreter, the run's code origin, and every file of ``packages`` (path, size,
    modification time) as found from the origin's working directory: any edit changes it."""
    digest = hashlib.sha256(f"{sys.executable}\n{serialize_value(origin)}\n".encode())
    pointer = origin.code_pointer
    working = getattr(pointer, "working_directory", None)
    for root in _package_dirs(packages, ([working] if working else []) + sys.path):
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            try:  # a file may go between the listing and its stat (an editor's, a checkout)
                if not path.is_file():
                    continue
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class WarmServer:
    """One running server, keyed by the fingerprint of the code it preloaded."""

    def __init__(
        self,
        instance_ref: InstanceRef,
        origin: RepositoryPythonOrigin,
        key: str,
        timeout_s: float,
    ) -> None:
        self.key = key
        self._timeout_s = timeout_s
        ours, theirs = socket.socketpair()
        working = getattr(origin.code_pointer, "working_directory", None)
        cmd = [sys.executable, "-m", "sec_assets.deploy.warm_server", "--fd", str(theirs.fileno())]
        try:
            self.process = subprocess.Popen(
                cmd,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,  # stdout, stderr: the launching process's
                cwd=working or None,
                env=dict(os.environ),
            )
        except OSError as exc:
            ours.close()
            raise WarmServerError("the warm server did not start", exc) from exc
        finally:
            theirs.close()
        self._channel = ours
        self._channel.settimeout(timeout_s)
        self._reader = ours.makefile("rb")
        start = {"instance_ref": serialize_value(instance_ref)}
        start["repository_origin"] = serialize_value(origin)
        try:
            answer = self._exchange(start)
        except WarmLaunchLost as exc:  # no run involved yet: the server did not load
            raise WarmServerError("the warm server did not load", exc) from exc
        if not answer.get("ready"):
            self.stop()
            raise WarmServerError("the warm server did not load", answer.get("error"))

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send ``message`` and read the answer. Not sent: :class:`WarmServerError`; sent but
        no answer (a timeout, the server gone): :class:`WarmLaunchLost`. Either way the server
        is stopped."""
        try:
            self._channel.sendall((json.dumps(message) + "\n").encode())
        except OSError as exc:
            exited = self.process.poll()
            self.stop()
            raise WarmServerError("the warm server did not take the request", exited) from exc
        try:
            line = self._reader.readline()
        except OSError as exc:  # a timeout included
            self.stop()
            raise WarmLaunchLost(f"the warm server did not answer: {exc}") from exc
        if not line:
            exited = self.process.poll()
            self.stop()
            raise WarmLaunchLost(f"the warm server exited ({exited}) before answering")
        return dict(json.loads(line))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def launch(self, run_id: str) -> int:
        """Fork the run's worker; its pid."""
        answer = self._exchange({"op": "launch", "run_id": run_id})
        if "pid" not in answer:  # it refused before forking
            self.stop()
            raise WarmServerError("the warm server did not fork", answer.get("error"))
        return int(answer["pid"])

    def stop(self) -> None:
        """Tell the server to take no more runs; it exits once its running workers have ended
        (reaped here in the background)."""
        with contextlib.suppress(OSError):
            self._channel.sendall(b'{"op": "exit"}\n')
        self._reader.close()
        self._channel.close()
        threading.Thread(target=self.process.wait, daemon=True).start()

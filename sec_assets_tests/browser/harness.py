"""Headless Chromium on its command line, and a Dagster UI process seen through GraphQL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
WORKSPACE_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


@dataclass(frozen=True)
class Chromium:
    binary: str
    out_dir: Path  # screenshots stay here for a person to look at

    def render(
        self,
        url: str,
        name: str,
        *,
        size: tuple[int, int] = (1920, 1200),
        expect: tuple[str, ...] = (),
    ) -> str:
        """The page's DOM once its scripts have run; saves ``<name>.png``. A page that lacks
        some of ``expect`` (still loading) is rendered again, up to three times in all."""
        dom = ""
        for _ in range(3):
            dom = self._render_once(url, self.out_dir / f"{name}.png", size)
            if all(text in dom for text in expect):
                break
        return dom

    def _render_once(self, url: str, png: Path, size: tuple[int, int]) -> str:
        with tempfile.TemporaryDirectory(prefix="chromium_") as profile:
            cmd = [
                self.binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "--virtual-time-budget=15000",
                f"--screenshot={png}",
                "--dump-dom",
                url,
            ]
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
            )
            try:
                out, _ = proc.communicate(timeout=180)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise AssertionError(f"chromium did not render {url} within 180 s") from None
        assert proc.returncode == 0, f"chromium exited {proc.returncode} on {url}"
        return out.decode("utf-8", "replace")


@dataclass(frozen=True)
class DagsterUI:
    url: str
    log: Path

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def wait_until_loaded(ui: DagsterUI, proc: subprocess.Popen, timeout_s: float = 300) -> None:
    """Until the webserver answers and the code location has loaded without error."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dagster dev exited {proc.returncode}:\n{ui.log_tail()}"
        try:
            if httpx.get(f"{ui.url}/server_info", timeout=2).status_code == 200:
                entries = ui.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    [entry] = entries
                    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the UI did not load within {timeout_s:.0f} s:\n{ui.log_tail()}")


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen) -> None:
    """Ctrl-C, as in a terminal: ``dagster dev`` shuts its webserver and daemon down. Then
    nothing of its process group may outlive it."""
    _signal_group(proc, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)
    _signal_group(proc, signal.SIGKILL)
    proc.wait(timeout=10)

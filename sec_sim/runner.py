"""Start and stop the simulator in a background thread: :func:`run_simulator`."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sec_sim.config import SimConfig
from sec_sim.faults import FaultEngine, FaultRule
from sec_sim.master import MasterData
from sec_sim.requestlog import LogEntry, RequestLog
from sec_sim.server import SimHTTPServer
from sec_sim.service import SimService


class SimulatorHandle:
    """A running simulator: its URL, its faults, its request log and its clock."""

    def __init__(self, config: SimConfig, master: MasterData | None = None) -> None:
        self.config = config
        self.service = SimService(config, master)
        self.engine = FaultEngine(config.seed, config.faults)
        self.log = RequestLog()
        self._server = SimHTTPServer(
            (config.host, config.port), self.service, self.engine, self.log
        )
        address = self._server.server_address
        self.host: str = str(address[0])
        self.port: int = int(address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sec-sim:{self.port}",
            daemon=True,
        )
        self._closed = False
        self._thread.start()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What ``SEC_BASE_URL`` should be: ``http://127.0.0.1:PORT/INTONLINEv1/ClientesAfectados``."""
        return self.root_url + self.config.prefix

    def set_faults(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        """Replace the fault rules (their ``times`` counters start again)."""
        self.engine.set_rules(rules)

    def faults(self) -> list[FaultRule]:
        return self.engine.rules

    def request_log(self) -> list[tuple[str, str | None, int | None]]:
        """(method, hour key or None, HTTP status or None when nothing was answered)."""
        return [e.as_tuple() for e in self.log.entries()]

    def request_entries(self) -> list[LogEntry]:
        """The log with the fault applied to each request."""
        return self.log.entries()

    def reset_log(self) -> None:
        self.log.clear()

    def set_clock(self, clock: datetime | None) -> None:
        """Fix the simulator clock (Chile local); None goes back to the real time."""
        self.service.set_clock(clock)

    def close(self) -> None:
        """Stop serving; hanging and slow requests are cut, so this returns promptly."""
        if self._closed:
            return
        self._closed = True
        self._server.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=2.0)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_simulator(config: SimConfig | None = None, **overrides: Any) -> SimulatorHandle:
    """Start a simulator; the caller must ``close()`` it. ``overrides`` update ``config``."""
    base = config or SimConfig()
    merged = base.model_validate({**base.model_dump(), **overrides}) if overrides else base
    return SimulatorHandle(merged)


@contextmanager
def run_simulator(config: SimConfig | None = None, **overrides: Any) -> Iterator[SimulatorHandle]:
    """Run a simulator on ``config.host:config.port`` (port 0: a free port) while in the block."""
    handle = start_simulator(config, **overrides)
    try:
        yield handle
    finally:
        handle.close()

"""A configuration mistake stops a month at once, through the asset (``dg.materialize``) against
the simulator over HTTP, a whole month at 24 hours a day and 8 requests in flight: at most the
requests in flight when the first wrong answer arrives go out, one log line sums it up, the
unsent hours store nothing (the next run asks for them), and the breaker counts nothing."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.store import BronzeStore
from sec_assets.resources import local_resources
from sec_assets_tests.cli import run_materialize

PARTITION = MONTH = "2024-08"  # the partition key is the label
HOURS = 744  # every hour of August
IN_FLIGHT = 8


def materialize(
    base_url: str, data: Path, **client: object
) -> tuple[dg.ExecuteInProcessResult, list]:
    options: dict[str, object] = {
        "max_concurrency": IN_FLIGHT,
        "requests_per_second": 2000,
        "max_attempts": 3,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "read_timeout_s": 60,
    }
    options.update(client)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [sec_snapshots],
        partition_key=PARTITION,
        resources=local_resources(data, base_url=base_url, hours_per_day=24, **options),
        raise_on_error=False,
        instance=instance,
    )
    return result, instance.all_logs(result.run_id)


def failure(result: dg.ExecuteInProcessResult) -> str:
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return event.step_failure_data.user_failure_data.description  # type: ignore[union-attr]


def loud_client_lines(logs: list) -> list[str]:
    """The SEC client's lines at WARNING or above, as the run's log shows them."""
    return [
        e.user_message
        for e in logs
        if e.level >= 30 and "sec_client" in e.user_message and not e.is_dagster_event
    ]


def stored(data: Path) -> list:
    return BronzeStore(data / "bronze", "sec_snapshots").files(MONTH)


def breaker(data: Path) -> dict:
    return local_resources(data)["sec_client"].breaker().snapshot()


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("path", "words"),
    [("", "HTTP 404"), ("/INTONLINEv1/NoSuchService", "HTTP 404")],
    ids=["path_left_out", "wrong_path"],
)
def test_a_wrong_base_path_sends_one_wave_and_says_so_once(
    sim, tmp_path: Path, path: str, words: str
) -> None:
    data = tmp_path / "data"
    root = sim.base_url.split("/INTONLINEv1")[0]
    sim.reset_log()
    result, logs = materialize(root + path, data)
    assert not result.success
    message = failure(result)
    assert words in message and message.count("SEC_BASE_URL") == 1
    seen = sim.request_log()
    assert 1 <= len(seen) <= IN_FLIGHT, seen  # not 745
    assert all(status == 404 for _, _, status in seen)
    [line] = loud_client_lines(logs)  # one line, not one WARNING per request
    assert "config_error" in line and "held back unsent" in line
    assert len(stored(data)) <= IN_FLIGHT  # only the answers really received
    assert all(f.outcome == "config_error" for f in stored(data))
    snap = breaker(data)
    assert snap["state"] == "closed" and snap["consecutive_failures"] == 0

    sim.reset_log()
    fixed, _ = materialize(sim.base_url, data)  # the unsent hours are missing, not answered
    assert fixed.success
    asked = {hour for method, hour, _ in sim.request_log() if method == "GetPorFecha"}
    assert len(asked) == HOURS


@pytest.mark.timeout(600)
def test_an_unresolvable_host_stops_after_the_first_attempts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result, logs = materialize("http://nonexistent.invalid/INTONLINEv1/ClientesAfectados", data)
    assert not result.success
    message = failure(result)
    assert "does not resolve" in message and "SEC_BASE_URL" in message
    [line] = loud_client_lines(logs)
    assert "held back unsent" in line
    attempts = stored(data)
    assert 1 <= len(attempts) <= IN_FLIGHT and {f.outcome for f in attempts} == {"config_error"}
    assert breaker(data)["consecutive_failures"] == 0


class RefusingProxy:
    """A forward proxy that answers every request ``407 Proxy Authentication Required``."""

    def __init__(self) -> None:
        self.seen = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    proxy.seen += 1
                body = b"<html>407 Proxy Authentication Required</html>"
                self.send_response(407)
                self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://user:wrong-pass@127.0.0.1:{self.server.server_port}"


@pytest.fixture
def refusing_proxy() -> Iterator[RefusingProxy]:
    proxy = RefusingProxy()
    proxy.thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()


@pytest.mark.timeout(600)
def test_a_proxy_refusing_our_credentials_stops_the_month(
    sim, tmp_path: Path, refusing_proxy: RefusingProxy
) -> None:
    data = tmp_path / "data"
    sim.reset_log()
    result, logs = materialize(sim.base_url, data, http_proxy=refusing_proxy.url)
    assert not result.success
    message = failure(result)
    assert "407" in message and "SEC_HTTP_PROXY" in message and "wrong-pass" not in message
    assert 1 <= refusing_proxy.seen <= IN_FLIGHT and sim.request_log() == []
    [line] = loud_client_lines(logs)
    assert "wrong-pass" not in line
    assert breaker(data)["consecutive_failures"] == 0


@pytest.mark.timeout(600)
def test_a_half_open_probe_meeting_a_wrong_url_gives_its_claim_back(sim, tmp_path: Path) -> None:
    """The breaker was open for the service's failures; its cooldown is over. The probe meets a
    404 of ours: neither a success nor a failure of the service, and the next run can probe at
    once instead of waiting for the claim to expire."""
    data = tmp_path / "data"
    state = data / "state" / "sec_breaker.json"
    state.parent.mkdir(parents=True)
    opened = time.time() - 7200  # past the 30-minute cooldown
    state.write_text(
        json.dumps(
            {
                "state": "open",
                "consecutive_failures": 5,
                "opened_at": opened,
                "last_error": "http_503: HTTP 503",
                "endpoint": "GetPorFecha",
            }
        )
    )
    root = sim.base_url.split("/INTONLINEv1")[0]
    result, _ = materialize(root, data)
    assert not result.success and "SEC_BASE_URL" in failure(result)
    snap = breaker(data)
    assert snap["state"] == "half_open" and snap["probe_started_at"] is None
    assert snap["consecutive_failures"] == 5 and snap["opened_at"] == opened
    fixed, _ = materialize(sim.base_url, data)  # the next run probes at once, and closes it
    assert fixed.success and breaker(data)["state"] == "closed"


@pytest.mark.timeout(600)
def test_the_cli_stops_a_wrongly_configured_month_with_one_line(sim, tmp_path: Path) -> None:
    """``dagster asset materialize`` as a deployment runs it, the path left out of
    SEC_BASE_URL (as an old README row had it)."""
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        SEC_DATA_DIR=str(data),
        SEC_BASE_URL=sim.base_url.split("/INTONLINEv1")[0],
        SEC_MAX_CONCURRENCY=str(IN_FLIGHT),
        SEC_REQUESTS_PER_SECOND="2000",
    )
    sim.reset_log()
    proc = run_materialize(["sec_snapshots"], env=env, partition=PARTITION)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 1 <= len(sim.request_log()) <= IN_FLIGHT
    loud = [
        line
        for line in output.splitlines()
        if "sec_client" in line and (" - WARNING - " in line or " - ERROR - " in line)
    ]
    assert len(loud) == 1 and "stage=stop" in loud[0], loud[:3]  # not one per request
    assert "SEC_BASE_URL" in output and len(stored(data)) <= IN_FLIGHT

"""The HTTP server: answers like the SEC (POST + JSON at ``<prefix>/<Method>``) with faults.

Built on the stdlib ``ThreadingHTTPServer`` (one thread per connection), which makes hangs,
slow answers and connection resets easy to inject. Control endpoints under ``<prefix>/_sim/``:
``faults`` (GET, POST a JSON list to replace, DELETE to clear), ``log`` (GET, DELETE) and
``clock`` (GET, POST ``{"clock": "2026-05-01T12:00" | null}``).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import select
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sec_sim import echo
from sec_sim.control import handle_control
from sec_sim.faults import PAYLOAD_KINDS, FaultEngine, FaultKind, FaultRule
from sec_sim.hostile import FAILED_CASES, echo_page, hostile_case, hostile_json
from sec_sim.mutations import mutate
from sec_sim.pages import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SERVICE_UNAVAILABLE,
    TOO_MANY_REQUESTS,
    aspnet_runtime_error,
    block_page,
)
from sec_sim.rand import unit
from sec_sim.requestlog import RequestLog
from sec_sim.service import METHODS, BadRequest, SimService
from sec_sim.timeutil import hour_key, local_to_utc

logger = logging.getLogger(__name__)
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


def encode_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for handler threads (a hanging one would block)
    # The stdlib's listen backlog of 5 resets connections when many clients connect at once
    # on a loaded machine (two clients x 8 in flight): a real server's backlog is far larger.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], service: SimService, engine: FaultEngine, log: RequestLog
    ) -> None:
        super().__init__(address, SimRequestHandler)
        self.service = service
        self.engine = engine
        self.log = log
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conn_lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("simulator: error serving %s", client_address, exc_info=True)


class SimRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stalls
    server: SimHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("simulator: " + format, *args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.format_datetime(local_to_utc(self.server.service.now()), usegmt=True)

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # Plumbing ----------------------------------------------------------------------------------
    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Powered-By", "ASP.NET")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _wait(self, seconds: float | None) -> bool:
        """Sleep (None: until shutdown); False when the server stops or the client leaves."""
        step = 0.05
        waited = 0.0
        while seconds is None or waited < seconds:
            if self.server.stopping.wait(step if seconds is None else min(step, seconds - waited)):
                return False
            waited += step
            if self._client_gone():
                return False
        return True

    def _client_gone(self) -> bool:
        """True when the client closed or reset the connection (nothing left to answer)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except (OSError, ValueError):  # reset by the client, or already closed
            return True

    def _logged_status(self, status: int) -> int | None:
        """The status for the log: None when the client left before it could be answered."""
        return None if self._client_gone() else status

    def _reset(self) -> None:
        """Close with RST: the client sees a connection reset, no HTTP answer at all."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _app_path(self) -> str:
        """``/INTONLINEv1`` for the default prefix: the ASP.NET application's root."""
        parts = self.server.service.config.prefix.strip("/").split("/")
        return "/" + parts[0] if parts[0] else "/"

    # Dispatch ----------------------------------------------------------------------------------
    def _dispatch(self, verb: str) -> None:
        prefix = self.server.service.config.prefix
        path = urlsplit(self.path).path
        body = self._read_body()
        if not path.startswith(prefix + "/"):
            self.server.log.add(path, None, 404)  # a client with a wrong base URL: counted
            self.send_body(404, NOT_FOUND.encode(), HTML_TYPE)
            return
        name = path[len(prefix) + 1 :].rstrip("/")
        if name.startswith("_sim/"):
            status, payload = handle_control(self.server, name[5:], verb, body)
            self.send_body(status, encode_json(payload), JSON_TYPE)
            return
        if name not in METHODS:
            self.server.log.add(name, None, 404)
            self.send_body(404, NOT_FOUND.encode(), HTML_TYPE)
            return
        if verb != "POST":
            self.server.log.add(name, None, 405)
            self.send_body(405, METHOD_NOT_ALLOWED.encode(), HTML_TYPE, {"Allow": "POST"})
            return
        self._answer(name, body)

    def _answer(self, method: str, raw: bytes) -> None:
        service = self.server.service
        try:
            parsed = json.loads(raw.decode("utf-8-sig")) if raw.strip() else {}
            request = parsed if isinstance(parsed, dict) else {}
            answer = service.answer(method, request)
            status, payload = 200, answer.payload
            key = hour_key(answer.hour) if answer.hour is not None else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            status, key = 500, None
            payload = BadRequest("Invalid JSON primitive.", "System.ArgumentException").payload
        except BadRequest as exc:
            status, payload, key = 500, exc.payload, None
        case = hostile_case(key) if service.config.hostile and status == 200 else None
        if case is not None and key is not None and method == "GetPorFecha":
            status = 502 if FAILED_CASES.get(case) == "http_502" else 200
            self.server.log.add(method, key, status, f"hostile_{case}")
            self._hostile(case, payload, key)
            return
        rule = self.server.engine.pick(method, key)
        if rule is None:
            self.server.log.add(method, key, self._logged_status(status))
            extra = {"jsonerror": "true"} if status == 500 else None
            self.send_body(status, encode_json(payload), JSON_TYPE, extra)
            return
        self._faulty(rule, method, key, status, payload)

    def _hostile(self, case: str, payload: Any, key: str) -> None:
        cfg = self.server.service.config
        credentials = echo.proxy_credentials(self.headers)
        if case == "echo":
            page = echo_page(self.requestline, list(self.headers.items()))
            self.send_body(502, page, HTML_TYPE)
        elif case in ("echo_json", "echo_html", "echo_split", "echo_utf16"):
            build = getattr(echo, case)
            self.send_body(200, build(payload, credentials), JSON_TYPE)
        elif case == "oversized":
            self._stream(echo.echo_cut(credentials, cfg.hostile_body_bytes), 0.0, 64 * 1024)
        elif case == "drip":
            body = encode_json(payload)
            steps = max(1, int(cfg.hostile_drip_s / 0.25))
            self._stream(body, 0.25, max(1, len(body) // steps))
        else:
            self.send_body(200, hostile_json(case, payload, key), JSON_TYPE)

    def _stream(self, body: bytes, pause_s: float, chunk: int) -> None:
        """A 200 JSON answer without Content-Length, written ``chunk`` bytes at a time, each
        after ``pause_s``; the connection closes at the end (or when the client leaves)."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for start in range(0, len(body), chunk):
                if pause_s and not self._wait(pause_s):
                    return
                self.wfile.write(body[start : start + chunk])
                self.wfile.flush()
        except OSError:  # the client stopped reading (our size cap): nothing left to do
            return

    def _faulty(
        self, rule: FaultRule, method: str, key: str | None, status: int, payload: Any
    ) -> None:
        log, seed = self.server.log, self.server.service.config.seed
        kind = rule.kind
        if kind in (FaultKind.HANG, FaultKind.RESET):
            log.add(method, key, None, kind.value)
            if kind is FaultKind.HANG:
                self._wait(None)
            self._reset()
            return
        if rule.delay_s and not self._wait(rule.delay_s):
            log.add(method, key, None, kind.value)
            self._reset()
            return
        retry = {"Retry-After": str(rule.retry_after_s)} if rule.retry_after_s is not None else {}
        simple: dict[FaultKind, tuple[int, str, dict[str, str]]] = {
            FaultKind.HTTP_500: (500, INTERNAL_ERROR, {}),
            FaultKind.HTTP_503: (503, SERVICE_UNAVAILABLE, retry),
            FaultKind.HTTP_429: (
                429,
                TOO_MANY_REQUESTS,
                {"Retry-After": retry.get("Retry-After", "1")},
            ),
            FaultKind.HTTP_403: (403, block_page(int(unit(seed, "support", key) * 1e18)), {}),
            FaultKind.HTML: (200, aspnet_runtime_error(self._app_path()), {}),
        }
        if kind in simple:
            code, page, headers = simple[kind]
            log.add(method, key, self._logged_status(code), kind.value)
            self.send_body(code, page.encode(), HTML_TYPE, headers)
            return
        if kind in PAYLOAD_KINDS and status == 200:
            payload = mutate(kind, payload, seed, f"{method}|{key}", rule.customers)
        body = encode_json(payload)
        if kind is FaultKind.TRUNCATED:
            body = body[: max(1, len(body) // 2)]
        log.add(method, key, self._logged_status(status), kind.value)
        self.send_body(status, body, JSON_TYPE)

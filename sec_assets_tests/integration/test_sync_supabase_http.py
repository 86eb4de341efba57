"""What supabase-py really sends, checked at the HTTP layer against a fake PostgREST on
loopback (a real HTTP server in a thread): the upsert's shape, retries on transient failures
only, one failing payload among several, and the service-role key kept out of every message.

No ``from __future__ import annotations`` here: Dagster resolves the asset's annotations.
"""

import json
import logging
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest

from sec_assets.gold.sync import DashboardPublishError, DashboardSinkResource, PublishReport

TABLES = ("dashboard_stats", "research_stats")
# A syntactically valid JWT (header.payload.signature) with role service_role; not a real key.
KEY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUiLCJleHAiOjQxMDI0NDQ4MDB9."
    "c2VydmljZS1yb2xlLXNpZ25hdHVyZS1mb3ItdGVzdHM"
)


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def pgrst_error(status: int, code: str, message: str) -> Answer:
    body = {"code": code, "details": None, "hint": None, "message": message}
    return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any


class FakePostgrest:
    """Answers like PostgREST: 201 (rows when ``Prefer: return=representation``), or what a
    test scripted for a payload id, in order."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Seen] = []
        self.tables: dict[str, dict[str, dict[str, Any]]] = {"dashboard_stats": {}}
        self.table = self.tables["dashboard_stats"]
        self.scripts: dict[str, list[Answer]] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                seen = Seen(
                    "POST",
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                self.answer(fake.handle(seen))

            def do_DELETE(self) -> None:
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen("DELETE", parts.path, parse_qs(parts.query), headers, None)
                self.answer(fake.delete(seen))

            def answer(self, a: Answer) -> None:
                time.sleep(a.delay_s)
                try:
                    self.send_response(a.status)
                    for name, value in a.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(a.body)))
                    self.end_headers()
                    self.wfile.write(a.body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def script(self, payload_id: str, *answers: Answer | int) -> None:
        self.scripts[payload_id] = [a if isinstance(a, Answer) else Answer(a) for a in answers]

    def handle(self, seen: Seen) -> Answer:
        with self.lock:
            self.requests.append(seen)
            row = seen.body if isinstance(seen.body, dict) else {}
            queue = self.scripts.get(row.get("id", ""), [])
            scripted = queue.pop(0) if queue else None
        if scripted is not None and scripted.status >= 300:
            return scripted
        table = seen.path.removeprefix("/rest/v1/")
        if table not in TABLES or seen.query.get("on_conflict") != ["id"]:
            return pgrst_error(400, "PGRST100", "unexpected request")
        with self.lock:
            self.tables.setdefault(table, {})[row["id"]] = row
        body = b""
        if "return=representation" in seen.headers.get("prefer", ""):
            body = json.dumps([row]).encode()
        answer = Answer(201, body, {"Content-Type": "application/json"})
        if scripted is not None:
            answer.delay_s = scripted.delay_s
        return answer

    def delete(self, seen: Seen) -> Answer:
        """``DELETE /rest/v1/<table>?id=not.in.(a,b)``: drop the other rows, return them."""
        with self.lock:
            self.requests.append(seen)
            table = self.tables.setdefault(seen.path.removeprefix("/rest/v1/"), {})
            [cond] = seen.query.get("id", ["?"])
            if not (cond.startswith("not.in.(") and cond.endswith(")")):
                return pgrst_error(400, "PGRST100", f"unexpected filter {cond}")
            keep = {v.strip('"') for v in cond[len("not.in.(") : -1].split(",")}
            gone = [table.pop(k) for k in sorted(table) if k not in keep]
        return Answer(200, json.dumps(gone).encode(), {"Content-Type": "application/json"})

    def for_id(self, payload_id: str) -> list[Seen]:
        return [r for r in self.requests if isinstance(r.body, dict) and r.body["id"] == payload_id]


@pytest.fixture
def fake() -> Iterator[FakePostgrest]:
    server = FakePostgrest()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def sink(url: str, **over: Any) -> DashboardSinkResource:
    values: dict[str, Any] = {
        "supabase_url": url,
        "supabase_service_role_key": KEY,
        "backoff_initial_s": 0.001,
        "backoff_max_s": 0.01,
        "timeout_s": 2.0,
    }
    values.update(over)
    return DashboardSinkResource(**values)


def everything_said(report: PublishReport, caplog: pytest.LogCaptureFixture) -> str:
    said = [repr(report), str(report.failed), caplog.text]
    try:
        report.raise_for_failures()
    except DashboardPublishError as exc:
        said += [str(exc), repr(exc), *traceback.format_exception(exc)]
    return "\n".join(said)


# -- the request -------------------------------------------------------------------------------
def test_the_upsert_request_is_what_postgrest_expects(fake: FakePostgrest) -> None:
    data = [{"region": "RM", "dia": date(2024, 1, 31), "clientes": 1200}]
    before = datetime.now(UTC)
    report = sink(fake.url).publish({"market_map": data})
    assert report == PublishReport(
        target="supabase",
        location=f"{fake.url}/rest/v1/dashboard_stats",
        published=["market_map"],
    )
    [req] = fake.requests
    assert req.method == "POST"
    assert req.path == "/rest/v1/dashboard_stats"
    assert req.query == {"on_conflict": ["id"]}
    assert req.headers["apikey"] == KEY
    assert req.headers["authorization"] == f"Bearer {KEY}"
    prefer = req.headers["prefer"].split(",")
    assert "resolution=merge-duplicates" in prefer and "return=minimal" in prefer
    assert req.headers["content-type"] == "application/json"
    assert req.headers["content-profile"] == "public"
    assert "x-retry-count" not in req.headers
    assert set(req.body) == {"id", "data", "updated_at"}
    assert req.body["id"] == "market_map"
    assert req.body["data"] == [{"region": "RM", "dia": "2024-01-31", "clientes": 1200}]
    stamp = datetime.fromisoformat(req.body["updated_at"])
    assert stamp.utcoffset() is not None and before <= stamp <= datetime.now(UTC)
    assert fake.table["market_map"] == req.body


# -- retries -----------------------------------------------------------------------------------
def test_transient_503s_are_retried_until_201(
    fake: FakePostgrest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake.script("time_series", Answer(503, b"upstream connect error"), 503)
    report = sink(fake.url).publish({"time_series": {"rows": []}})
    assert report.published == ["time_series"] and report.failed == {}
    assert len(fake.for_id("time_series")) == 3
    assert caplog.text.count("HTTP 503") == 2


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(pgrst_error(500, "XX000", "internal"), id="500"),
        pytest.param(Answer(502, b"<html>bad gateway</html>"), id="502-html"),
        pytest.param(Answer(429, b"", {"Retry-After": "0"}), id="429-retry-after"),
        pytest.param(Answer(201, delay_s=0.6), id="read-timeout"),
    ],
)
def test_other_transient_failures_are_retried(fake: FakePostgrest, answer: Answer) -> None:
    fake.script("company_ranking", answer)
    report = sink(fake.url, timeout_s=0.3).publish({"company_ranking": []})
    assert report.published == ["company_ranking"]
    assert len(fake.for_id("company_ranking")) == 2


def test_persistent_5xx_stops_after_max_attempts(fake: FakePostgrest) -> None:
    fake.script("market_map", *[503] * 10)
    report = sink(fake.url, max_attempts=4).publish({"market_map": []})
    assert len(fake.for_id("market_map")) == 4
    assert "market_map" in report.failed and "HTTP 503" in report.failed["market_map"]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(pgrst_error(400, "22P02", "invalid input syntax for type json"), id="400"),
        pytest.param(pgrst_error(401, "PGRST301", "JWT expired"), id="401"),
        pytest.param(
            pgrst_error(403, "42501", 'new row violates row-level security policy for table "x"'),
            id="403-rls",
        ),
    ],
)
def test_client_errors_are_not_retried_and_say_what_failed(
    fake: FakePostgrest, answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script("eda_quality_stats", answer)
    report = sink(fake.url).publish({"eda_quality_stats": [{"a": 1}]})
    assert len(fake.requests) == 1
    message = report.failed["eda_quality_stats"]
    assert message.startswith(f"HTTP {answer.status}: ")
    assert json.loads(answer.body)["code"] in message
    with pytest.raises(DashboardPublishError, match=f"eda_quality_stats: .*HTTP {answer.status}"):
        report.raise_for_failures()
    assert KEY not in everything_said(report, caplog)


def test_connection_errors_are_retried_then_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        port = probe.server_port  # free, then closed: nothing listens there
    report = sink(f"http://127.0.0.1:{port}", max_attempts=3).publish({"market_map": []})
    assert "connection error" in report.failed["market_map"]
    assert caplog.text.count("retry") == 2
    assert KEY not in everything_said(report, caplog)


# -- one failure hides none --------------------------------------------------------------------
def test_one_failing_payload_does_not_stop_the_others(fake: FakePostgrest) -> None:
    fake.script("company_ranking", pgrst_error(400, "22P02", "bad json"))
    fake.script("time_series", *[503] * 10)
    payloads = {
        pid: [{"n": i}]
        for i, pid in enumerate(["market_map", "company_ranking", "time_series", "data_coverage"])
    }
    report = sink(fake.url, max_attempts=2).publish(payloads)
    assert report.published == ["market_map", "data_coverage"]
    assert sorted(report.failed) == ["company_ranking", "time_series"]
    assert sorted(fake.table) == ["data_coverage", "market_map"]
    stamps = {r.body["updated_at"] for r in fake.requests}
    assert len(stamps) == 1  # one publication, one updated_at
    with pytest.raises(DashboardPublishError) as info:
        report.raise_for_failures()
    assert "2 dashboard payload(s) failed" in str(info.value)
    assert "company_ranking, time_series" in str(info.value)
    assert info.value.failed == report.failed


# -- the key stays secret ----------------------------------------------------------------------
def test_the_key_is_redacted_even_when_the_server_echoes_it(
    fake: FakePostgrest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script("market_map", pgrst_error(401, "PGRST301", f"bad token {KEY}"))
    fake.script("time_series", Answer(503, f"no upstream for {KEY}".encode()), 503)
    resource = sink(fake.url, max_attempts=2)
    report = resource.publish({"market_map": [], "time_series": []})
    assert sorted(report.failed) == ["market_map", "time_series"]
    assert "bad token ***" in report.failed["market_map"]
    said = everything_said(report, caplog)
    assert KEY not in said
    assert KEY not in repr(resource) and KEY not in str(resource)


@dg.asset
def dashboard_probe(context: dg.AssetExecutionContext, dashboard: DashboardSinkResource) -> None:
    assert dashboard.supabase_service_role_key == KEY  # resolved from the environment
    assert KEY not in repr(dashboard) and KEY not in str(dashboard)
    report = dashboard.publish({"market_map": [{"a": 1}], "time_series": []}, logger=context.log)
    context.add_output_metadata(
        {
            "target": report.target,
            "location": report.location,
            "published": dg.MetadataValue.json(report.published),
            "failed": dg.MetadataValue.json(report.failed),
        }
    )
    report.raise_for_failures()


def test_a_dagster_run_reads_the_key_from_the_environment_and_never_shows_it(
    fake: FakePostgrest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    resource = DashboardSinkResource(
        supabase_url=dg.EnvVar("SUPABASE_URL"),
        supabase_service_role_key=dg.EnvVar("SUPABASE_SERVICE_ROLE_KEY"),
        backoff_initial_s=0.001,
        max_attempts=2,
    )
    monkeypatch.setenv("SUPABASE_URL", fake.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", KEY)
    ok = dg.materialize([dashboard_probe], resources={"dashboard": resource})
    assert ok.success and sorted(fake.table) == ["market_map", "time_series"]
    [mat] = ok.asset_materializations_for_node("dashboard_probe")
    assert mat.metadata["target"].value == "supabase"

    fake.script("time_series", pgrst_error(401, "PGRST301", "JWT expired"))
    failed = dg.materialize(
        [dashboard_probe], resources={"dashboard": resource}, raise_on_error=False
    )
    assert not failed.success
    events = "\n".join(str(e) for e in [*ok.all_events, *failed.all_events])
    assert "time_series" in events and "HTTP 401" in events
    assert KEY not in events and KEY not in caplog.text


# -- research table and stale rows ---------------------------------------------------------------
def test_research_payloads_go_to_their_own_table_and_stale_ids_are_deleted(
    fake: FakePostgrest,
) -> None:
    fake.tables["dashboard_stats"]["reliability_indices"] = {"id": "reliability_indices"}
    fake.tables["dashboard_stats"]["old_payload"] = {"id": "old_payload"}
    resource = sink(fake.url)
    report = resource.publish(
        {"time_series": [], "market_map": []}, table="dashboard_stats", prune=True
    )
    assert report.published == ["time_series", "market_map"]
    assert report.removed == ["old_payload", "reliability_indices"]
    assert sorted(fake.tables["dashboard_stats"]) == ["market_map", "time_series"]
    [delete] = [r for r in fake.requests if r.method == "DELETE"]
    assert delete.path == "/rest/v1/dashboard_stats"
    assert delete.headers["authorization"] == f"Bearer {KEY}"
    research = resource.publish({"data_coverage": []}, table="research_stats", prune=True)
    assert research.location == f"{fake.url}/rest/v1/research_stats"
    assert research.published == ["data_coverage"] and research.removed == []
    assert list(fake.tables["research_stats"]) == ["data_coverage"]


def test_a_failed_prune_is_reported_and_keeps_the_key_out(fake: FakePostgrest) -> None:
    original = fake.delete
    fake.delete = lambda seen: pgrst_error(403, "42501", f"permission denied {KEY}")  # type: ignore[method-assign]
    report = sink(fake.url).publish({"time_series": []}, prune=True)
    fake.delete = original  # type: ignore[method-assign]
    assert report.published == ["time_series"]
    assert "<prune>" in report.failed and KEY not in report.failed["<prune>"]

"""The simulator over real HTTP on loopback: methods, headers, faults, control, shutdown."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import httpx
import polars as pl
import pytest

from sec_sim import (
    CURRENT_FIELDS,
    LEGACY_FIELDS,
    FaultRule,
    SimConfig,
    SimulatorHandle,
    run_simulator,
    truth_hourly,
)
from sec_sim.timeutil import local_to_utc

CLOCK = datetime(2026, 11, 20, 9, 30)
LEGACY_HOUR = {"anho": 2024, "mes": 8, "dia": 2, "hora": 12}  # before the cutover: legacy
CURRENT_HOUR = {"anho": 2026, "mes": 10, "dia": 4, "hora": 0}
JSON_TYPE = "application/json; charset=utf-8"


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorHandle]:
    config = SimConfig(seed=42, clock=CLOCK, era=date(2025, 1, 1), revision_rate=0.0)
    with run_simulator(config) as handle:
        yield handle


@pytest.fixture
def simulator(server: SimulatorHandle) -> Iterator[SimulatorHandle]:
    server.set_faults([])
    server.reset_log()
    yield server
    server.set_faults([])


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def post(client: httpx.Client, sim: SimulatorHandle, method: str, body: dict) -> httpx.Response:
    return client.post(f"{sim.base_url}/{method}", json=body)


def test_base_url_and_getporfecha_headers(simulator: SimulatorHandle, client) -> None:
    assert simulator.base_url == f"http://127.0.0.1:{simulator.port}/INTONLINEv1/ClientesAfectados"
    response = post(client, simulator, "GetPorFecha", CURRENT_HOUR)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    assert parsedate_to_datetime(response.headers["date"]) == local_to_utc(CLOCK).replace(second=0)
    rows = response.json()
    assert 50 <= len(rows) <= 300 and all(tuple(r) == CURRENT_FIELDS for r in rows)
    legacy = post(client, simulator, "GetPorFecha", LEGACY_HOUR).json()
    assert all(tuple(r) == LEGACY_FIELDS for r in legacy)
    assert 900_000 <= sum(r["CLIENTES_AFECTADOS"] for r in legacy) <= 1_500_000
    assert simulator.request_log() == [
        ("GetPorFecha", "2026-10-04T00", 200),
        ("GetPorFecha", "2024-08-02T12", 200),
    ]


def test_other_methods(simulator: SimulatorHandle, client) -> None:
    assert post(client, simulator, "GetHoraServer", {}).json() == [{"FECHA": "20/11/2026 09:30"}]
    for name in ("Valparaiso", "Región de Valparaíso", "Region de Valparaiso"):
        answer = post(client, simulator, "GetClientesRegional", {"region": name}).json()
        assert answer == [{"CLIENTES": 780563, "REGION_ID": 5}]
    assert post(client, simulator, "GetClientesRegional", {"region": "Narnia"}).json() == []
    national = post(client, simulator, "GetClientesNacional", {}).json()
    assert national == [{"CLIENTES": 8156814}]
    series = post(client, simulator, "Get", {}).json()
    assert len(series) == 168 and series[-1]["dia"] == 20 and series[-1]["hora"] == 9


def test_missing_hora_is_midnight_and_bad_bodies_are_aspnet_errors(simulator, client) -> None:
    midnight = post(client, simulator, "GetPorFecha", {"anho": 2026, "mes": 10, "dia": 4})
    assert midnight.content == post(client, simulator, "GetPorFecha", CURRENT_HOUR).content
    bad = post(client, simulator, "GetPorFecha", {"anho": 2026, "mes": 14, "dia": 4})
    assert bad.status_code == 500 and bad.headers["jsonerror"] == "true"
    assert bad.json()["ExceptionType"] == "System.ArgumentOutOfRangeException"
    broken = client.post(f"{simulator.base_url}/GetPorFecha", content=b"{not json")
    assert broken.status_code == 500 and "Message" in broken.json()


def test_unknown_method_and_path_are_iis_404_pages(simulator, client) -> None:
    for url in (f"{simulator.base_url}/GetTodo", f"{simulator.root_url}/elsewhere"):
        response = client.post(url, json={})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "404 - File or directory not found." in response.text
    assert client.get(f"{simulator.base_url}/GetPorFecha").status_code == 405


def test_dst_skipped_hour_answers_empty(simulator, client) -> None:
    body = {"anho": 2026, "mes": 9, "dia": 6, "hora": 0}
    response = post(client, simulator, "GetPorFecha", body)
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(
    ("rule", "status", "marker", "retry_after"),
    [
        ({"kind": "http_500"}, 500, "500 - Internal server error.", None),
        ({"kind": "http_503"}, 503, "Service Unavailable", None),
        ({"kind": "http_503", "retry_after_s": 9}, 503, "Service Unavailable", "9"),
        ({"kind": "http_429"}, 429, "Too Many Requests", "1"),
        ({"kind": "http_429", "retry_after_s": 3}, 429, "Too Many Requests", "3"),
        ({"kind": "http_403"}, 403, "The requested URL was rejected", None),
        ({"kind": "html"}, 200, "Server Error in &#39;/INTONLINEv1&#39;", None),
    ],
)
def test_status_and_html_faults(simulator, client, rule, status, marker, retry_after) -> None:
    simulator.set_faults([rule])
    response = post(client, simulator, "GetPorFecha", CURRENT_HOUR)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert marker.replace("&#39;", "'") in response.text
    assert response.headers.get("retry-after") == retry_after
    assert simulator.request_log() == [("GetPorFecha", "2026-10-04T00", status)]


def test_payload_faults(simulator, client) -> None:
    cases = {
        "truncated": CURRENT_HOUR,
        "empty": CURRENT_HOUR,
        "degraded": CURRENT_HOUR,
        "drift_missing_field": CURRENT_HOUR,
        "drift_renamed_field": CURRENT_HOUR,
        "null_customers": CURRENT_HOUR,
        "unknown_names": CURRENT_HOUR,
        "bad_dates": LEGACY_HOUR,
    }
    for kind, body in cases.items():
        simulator.set_faults([{"kind": kind}])
        response = post(client, simulator, "GetPorFecha", body)
        assert response.status_code == 200 and response.headers["content-type"] == JSON_TYPE
        if kind == "truncated":
            with pytest.raises(json.JSONDecodeError):
                json.loads(response.content)
            assert response.content.startswith(b"[{")
            continue
        rows = response.json()
        if kind == "empty":
            assert rows == []
        elif kind == "degraded":
            assert 2 <= len(rows) <= 5
        elif kind == "drift_missing_field":
            assert rows and all("CLIENTES_AFECTADOS" not in r for r in rows)
        elif kind == "drift_renamed_field":
            assert rows and all("COMUNA" in r and "NOMBRE_COMUNA" not in r for r in rows)
        elif kind == "null_customers":
            assert {r["CLIENTES_AFECTADOS"] for r in rows} & {None, "N/A"}
        elif kind == "unknown_names":
            assert any(
                r["NOMBRE_COMUNA"] == "Comuna Inexistente"
                or r["NOMBRE_COMUNA"] in ("Villa Sin Nombre", "Xyzzy")
                for r in rows
            )
        elif kind == "bad_dates":
            assert {r["FECHA_INT_STR"] for r in rows} & {"31/02/2024", "--"}


def test_slow_hang_and_reset(simulator, client) -> None:
    simulator.set_faults([FaultRule(kind="slow", delay_s=0.3)])
    started = time.monotonic()
    assert post(client, simulator, "GetPorFecha", CURRENT_HOUR).status_code == 200
    assert time.monotonic() - started >= 0.3
    simulator.set_faults([FaultRule(kind="hang")])
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"{simulator.base_url}/GetPorFecha", json=CURRENT_HOUR, timeout=0.5)
    simulator.set_faults([FaultRule(kind="reset")])
    with httpx.Client(timeout=5) as fresh, pytest.raises(httpx.TransportError):
        fresh.post(f"{simulator.base_url}/GetPorFecha", json=CURRENT_HOUR)
    assert [e[2] for e in simulator.request_log()] == [200, None, None]
    assert [e.fault for e in simulator.request_entries()] == ["slow", "hang", "reset"]


def test_times_and_hours(simulator, client) -> None:
    simulator.set_faults([FaultRule(kind="http_500", hours=["2026-10-04T00"], times=2)])
    other = {**CURRENT_HOUR, "hora": 1}
    codes = [
        post(client, simulator, "GetPorFecha", b).status_code
        for b in (other, CURRENT_HOUR, CURRENT_HOUR, CURRENT_HOUR, other)
    ]
    assert codes == [200, 500, 500, 200, 200]
    simulator.set_faults([FaultRule(kind="http_503", method="GetHoraServer", times=1)])
    assert post(client, simulator, "GetHoraServer", {}).status_code == 503
    assert post(client, simulator, "GetHoraServer", {}).status_code == 200


def test_runtime_fault_endpoint(simulator, client) -> None:
    control = f"{simulator.base_url}/_sim/faults"
    rules = [{"kind": "empty", "hours": ["2026-10-04 00:00"], "times": 1}]
    assert client.post(control, json=rules).status_code == 200
    listed = client.get(control).json()
    assert listed[0]["kind"] == "empty" and listed[0]["hours"] == ["2026-10-04T00"]
    assert post(client, simulator, "GetPorFecha", CURRENT_HOUR).json() == []
    assert post(client, simulator, "GetPorFecha", CURRENT_HOUR).json() != []
    assert client.post(control, json=[{"kind": "meteor"}]).status_code == 400
    assert client.delete(control).json() == []
    log = client.get(f"{simulator.base_url}/_sim/log").json()
    assert [entry[:3] for entry in log] == [["GetPorFecha", "2026-10-04T00", 200]] * 2
    clock = f"{simulator.base_url}/_sim/clock"
    assert client.get(clock).json() == {"clock": "2026-11-20T09:30"}


def test_a_month_over_http_matches_the_truth(simulator, client) -> None:
    truth = {
        (h.day, h.hour): n
        for h, n in truth_hourly("2026-10", seed=42)
        .group_by("hour")
        .agg(pl.col("customers").sum())
        .iter_rows()
    }
    started = time.monotonic()
    for day in range(1, 32):
        for hour in range(24):
            body = {"anho": 2026, "mes": 10, "dia": day, "hora": hour}
            rows = post(client, simulator, "GetPorFecha", body).json()
            named = sum(r["CLIENTES_AFECTADOS"] for r in rows if r["NOMBRE_COMUNA"])
            assert named == truth.get((day, hour), 0)
    assert time.monotonic() - started < 15
    assert len(simulator.request_log()) == 744


def test_shutdown_with_hanging_requests_in_flight_is_prompt() -> None:
    outcomes: list[str] = []

    def call(url: str) -> None:
        try:
            httpx.post(url, json=CURRENT_HOUR, timeout=30)
            outcomes.append("answered")
        except httpx.TransportError as exc:
            outcomes.append(type(exc).__name__)

    config = SimConfig(seed=42, clock=CLOCK, faults=[FaultRule(kind="hang")])
    with run_simulator(config) as sim:
        threads = [
            threading.Thread(target=call, args=(f"{sim.base_url}/GetPorFecha",)) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while len(sim.request_log()) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(sim.request_log()) == 3
        started = time.monotonic()
    assert time.monotonic() - started < 2.0
    for thread in threads:
        thread.join(timeout=5)
    assert len(outcomes) == 3 and "answered" not in outcomes

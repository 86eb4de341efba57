"""Hostile answers (``sec-sim serve --hostile``, ``SimConfig(hostile=True)``): each case lands on a
fixed local hour of every month, 06:00 of the day below, so a month run meets each one once.

| day | case | the answer | what the collector must make of it |
|---|---|---|---|
| 2 | ``nan`` | a customer count ``NaN`` | schema_error, quarantined |
| 3 | ``infinity`` | a customer count ``Infinity`` | schema_error, quarantined |
| 4 | ``overflow`` | a customer count ``1e400`` | schema_error, quarantined |
| 5 | ``huge`` | a customer count ``10^20`` | schema_error, quarantined |
| 6 | ``nested`` | an object where the count goes | schema_error, quarantined |
| 7 | ``surrogate`` | a lone surrogate in a comuna name | schema_error, quarantined |
| 8 | ``bom`` | a UTF-8 byte order mark before the JSON | schema_error, quarantined |
| 9 | ``duplicates`` | the first 5 rows repeated identically | ok; counted as ``duplicate_rows`` |
| 10 | ``oversized`` | junk, the credentials across the client's 64 KiB cut | ``body_too_large`` |
| 11 | ``drip`` | the answer, dripped over ``hostile_drip_s`` | failed: ``deadline_exceeded`` |
| 12 | ``echo`` | a 502 page echoing the headers, the credentials in hex too | ``http_502`` |
| 13 | ``nan_text`` | a customer count ``"NaN"`` (a string) | schema_error, quarantined |
| 14 | ``echo_json`` | a comuna: the proxy credentials, JSON-escaped | ok, masked, counted |
| 15 | ``huge_text`` | a customer count of 30 digits, as a string | schema_error, quarantined |
| 16 | ``echo_html`` | a comuna: them as HTML entities; the region percent-encoded | ok, masked |
| 17 | ``wrap`` | two equal rows, ``"9000000000000000000"`` each | schema_error, quarantined |
| 18 | ``echo_split`` | the credentials split across two rows' comunas | ok, masked, counted |
| 19 | ``duplicate_key`` | ``CLIENTES_AFECTADOS`` twice in one object | schema_error, quarantined |
| 20 | ``echo_utf16`` | an answer in UTF-16, a comuna: them | schema_error, masked |
| 21 | ``wrong_date`` | legacy rows; outages start 3 days after the hour | wrong_date, quarantined |
| 22 | ``nul`` | a NUL inside a comuna name | ok; NUL removed, counted: ``control_chars`` |

Every echo is stored masked and counted (``secret_echoed``).

``oversized`` and ``drip`` fail only against a client whose ``SEC_MAX_BODY_BYTES`` /
``SEC_ATTEMPT_DEADLINE_S`` are below the simulator's ``hostile_body_bytes`` / ``hostile_drip_s``
(``make check`` sets them so). The echoes (``echo.py``) repeat the
credentials of the request's ``Proxy-Authorization``: the simulator is the collector's proxy.
Every other hour answers as without ``--hostile``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx

from sec_sim.echo import hex_lines, proxy_credentials

HOSTILE_HOUR = 6  # sampled at every cadence (hours_per_day 4: 00, 06, 12, 18)
HOSTILE_DAYS: dict[int, str] = {
    2: "nan",
    3: "infinity",
    4: "overflow",
    5: "huge",
    6: "nested",
    7: "surrogate",
    8: "bom",
    9: "duplicates",
    10: "oversized",
    11: "drip",
    12: "echo",
    13: "nan_text",
    14: "echo_json",
    15: "huge_text",
    16: "echo_html",
    17: "wrap",
    18: "echo_split",
    19: "duplicate_key",
    20: "echo_utf16",
    21: "wrong_date",
    22: "nul",
}
SCHEMA_ERROR_CASES = frozenset(
    {"nan", "infinity", "overflow", "huge", "nested", "surrogate", "bom", "echo_utf16"}
    | {"nan_text", "huge_text", "wrap", "duplicate_key"}
)
WRONG_DATE_CASES = frozenset({"wrong_date"})
FAILED_CASES = {
    "oversized": "body_too_large",
    "drip": "deadline_exceeded",
    "echo": "http_502",
}
# Valid answers carrying the credentials (masked, counted as ``secret_echoed``).
ECHOED_CASES = frozenset({"echo_json", "echo_html", "echo_split"})
#: Valid hours whose oddity silver repairs and counts: case → the guardrail that counts it.
COUNTED_CASES = {"duplicates": "duplicate_rows", "nul": "control_chars"}
WRONG_DATE_DAYS = 3  # how far after the hour asked the wrong_date case's outages start
_SENTINEL = "__sec_sim_hostile__"
_RAW_VALUE = {"overflow": "1e400", "huge": "100000000000000000000"}
_TEXT_VALUE = {"nan_text": "NaN", "huge_text": "9" * 30, "wrap": "9000000000000000000"}


def hostile_case(hour_key: str | None) -> str | None:
    """The case that hour ``YYYY-MM-DDTHH`` answers with, if any."""
    if hour_key is None or len(hour_key) != 13 or int(hour_key[11:13]) != HOSTILE_HOUR:
        return None
    return HOSTILE_DAYS.get(int(hour_key[8:10]))


def hostile_hours(month: str) -> dict[str, str]:
    """``{"YYYY-MM-DDT06": case}`` for a month ``YYYY-MM``."""
    return {f"{month}-{day:02d}T{HOSTILE_HOUR:02d}": case for day, case in HOSTILE_DAYS.items()}


def _row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if rows:
        return dict(rows[0])
    return {"NOMBRE_REGION": "Metropolitana", "NOMBRE_COMUNA": "Maipu", "CLIENTES_AFECTADOS": 10}


def _later_legacy(rows: list[dict[str, Any]], hour_key: str) -> list[dict[str, Any]]:
    """``rows`` in the legacy shape, their outages starting WRONG_DATE_DAYS after the hour."""
    start = date.fromisoformat(hour_key[:10]) + timedelta(days=WRONG_DATE_DAYS)
    out = []
    for row in rows or [_row(rows)]:
        legacy = {"HORA": 0, "DIA": 0, "MES": 0, "ANHO": 0, "NOMBRE_EMPRESA": "CGE"}
        legacy.update(ACTUALIZADO_HACE="0 Dias 0 Horas 5 Minutos ", **row)
        legacy.update(DIA_INT=start.day, MES_INT=start.month, ANHO_INT=start.year)
        legacy["FECHA_INT_STR"] = f"{start.day}/{start.month}/{start.year}"
        out.append(legacy)
    return out


def hostile_json(case: str, rows: list[dict[str, Any]], hour_key: str = "2024-08-21T06") -> bytes:
    """The body of a JSON-level case (every case but oversized, drip and echo)."""
    first, rest = _row(rows), list(rows[1:])
    if case in _TEXT_VALUE:
        first["CLIENTES_AFECTADOS"] = _TEXT_VALUE[case]
        return _encode([first, *rest] if case != "wrap" else [first, dict(first), *rest])
    if case == "duplicate_key":
        first["CLIENTES_AFECTADOS"] = _SENTINEL
        repeated = f'"{_SENTINEL}","CLIENTES_AFECTADOS":1'.encode()
        return _encode([first, *rest]).replace(f'"{_SENTINEL}"'.encode(), repeated)
    if case == "wrong_date":
        return _encode(_later_legacy(rows, hour_key))
    if case == "nul":
        first["NOMBRE_COMUNA"] = first["NOMBRE_COMUNA"][:2] + "\x00" + first["NOMBRE_COMUNA"][2:]
        return _encode([first, *rest])
    if case == "duplicates":
        return _encode([*rows, *(dict(r) for r in rows[:5])] if rows else [first, first])
    if case in ("nan", "infinity"):
        first["CLIENTES_AFECTADOS"] = float("nan") if case == "nan" else float("inf")
        return _encode([first, *rest])
    if case == "nested":
        first["CLIENTES_AFECTADOS"] = {"valor": first.get("CLIENTES_AFECTADOS")}
        return _encode([first, *rest])
    if case == "surrogate":
        first["NOMBRE_COMUNA"] = _SENTINEL
        return _encode([first, *rest]).replace(_SENTINEL.encode(), b"Maip\\ud800u")
    if case in _RAW_VALUE:
        first["CLIENTES_AFECTADOS"] = _SENTINEL
        raw = _RAW_VALUE[case].encode()
        return _encode([first, *rest]).replace(f'"{_SENTINEL}"'.encode(), raw)
    if case == "bom":
        return b"\xef\xbb\xbf" + _encode(rows)
    raise ValueError(f"not a JSON-level hostile case: {case}")


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def echo_page(request_line: str, headers: list[tuple[str, str]]) -> bytes:
    """A proxy's error page that echoes the request it failed to forward (as some do), with
    the credentials also in hex."""
    headers = headers + hex_lines(proxy_credentials(dict(headers)))
    lines = "\n".join(f"{name}: {value}" for name, value in headers)
    return (
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
        f"<p>The proxy could not forward:</p><pre>{request_line}\n{lines}</pre></body></html>"
    ).encode()


def warm_up(base_url: str, month: str) -> None:
    """Ask one quiet hour of ``month`` so the simulator builds the month before a client with a
    tight ``SEC_ATTEMPT_DEADLINE_S`` meets it (the first answer of a month takes seconds)."""
    year, mon = (int(x) for x in month.split("-"))
    body = {"anho": year, "mes": mon, "dia": 1, "hora": 1}
    httpx.post(f"{base_url}/GetPorFecha", json=body, timeout=120).raise_for_status()

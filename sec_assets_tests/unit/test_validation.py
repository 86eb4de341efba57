import json
from pathlib import Path

import pytest

from sec_assets.sec_client.errors import SecInvalidBodyError, SecSchemaError
from sec_assets.sec_client.validation import (
    LEGACY_FIELDS,
    validate_customers,
    validate_server_time,
    validate_snapshot,
)

REAL = {
    "GetPorFecha_2024-08-02_12.json": (299, 1_176_268),
    "GetPorFecha_2026-09-30_00.json": (135, 5_204),
    "GetPorFecha_2026-10-04_00.json": (139, 11_906),
}


@pytest.mark.parametrize(("name", "expected"), REAL.items())
def test_real_answers_are_current_era(sec_real_dir: Path, name: str, expected: tuple) -> None:
    answer = validate_snapshot((sec_real_dir / name).read_bytes(), hour="x")
    assert answer.era == "current"
    assert (len(answer.rows), answer.customers) == expected


def _legacy_row(**over: object) -> dict:
    row = dict.fromkeys(LEGACY_FIELDS, 0)
    row.update(
        NOMBRE_REGION="Maule",
        NOMBRE_COMUNA="Talca",
        NOMBRE_EMPRESA="CGE",
        CLIENTES_AFECTADOS=12,
        ACTUALIZADO_HACE="0 Dias 0 Horas 17 Minutos ",
        FECHA_INT_STR="19/1/2026",
    )
    row.update(over)
    return row


def test_legacy_era_recognized() -> None:
    body = json.dumps([_legacy_row(), _legacy_row(CLIENTES_AFECTADOS=3)]).encode()
    answer = validate_snapshot(body, hour="2026-01-19T10")
    assert answer.era == "legacy"
    assert answer.customers == 15


def test_empty_list_is_a_valid_empty_hour() -> None:
    answer = validate_snapshot(b"[]", hour="2025-01-03T04")
    assert answer.era == "empty" and answer.rows == []


def test_null_customers_are_kept_not_rejected() -> None:
    body = json.dumps(
        [{"NOMBRE_REGION": "Maule", "NOMBRE_COMUNA": "Talca", "CLIENTES_AFECTADOS": None}]
    ).encode()
    answer = validate_snapshot(body, hour="h")
    assert answer.rows[0]["CLIENTES_AFECTADOS"] is None and answer.customers == 0


@pytest.mark.parametrize(
    ("body", "error", "rule"),
    [
        (b"<html><body>Runtime Error</body></html>", SecInvalidBodyError, "HTML error page"),
        (b'[{"NOMBRE_REGION": "Maule", "NOMBRE_COM', SecInvalidBodyError, "truncated JSON"),
        (b"", SecInvalidBodyError, "empty body is not an empty list"),
        (b'{"d": []}', SecSchemaError, "an object, not a list"),
        (
            b'[{"NOMBRE_REGION": "Maule", "COMUNA": "Talca", "CLIENTES_AFECTADOS": 1}]',
            SecSchemaError,
            "renamed field",
        ),
        (
            b'[{"NOMBRE_REGION": "Maule", "NOMBRE_COMUNA": "Talca"}]',
            SecSchemaError,
            "missing field",
        ),
        (b"[1, 2]", SecSchemaError, "rows are not objects"),
    ],
)
def test_bad_bodies_are_typed_errors_never_empty(body: bytes, error: type, rule: str) -> None:
    with pytest.raises(error) as info:
        validate_snapshot(body, hour="2024-08-02T12")
    message = str(info.value)
    assert "GetPorFecha" in message and "hour=2024-08-02T12" in message, rule


def test_error_carries_a_snippet_of_the_body() -> None:
    with pytest.raises(SecInvalidBodyError) as info:
        validate_snapshot(b"<html>Service Unavailable</html>", hour="h")
    assert "Service Unavailable" in info.value.snippet
    assert "HTML" in str(info.value)


def test_server_time_and_customers() -> None:
    assert validate_server_time(b'[{"FECHA": "23/05/2024 15:30"}]') == "23/05/2024 15:30"
    body = b'[{"CLIENTES": 780563, "REGION_ID": 5}]'
    assert validate_customers(body, endpoint="GetClientesRegional", key="region_05") == 780563
    assert validate_customers(b"[]", endpoint="GetClientesRegional", key="region_05") is None
    with pytest.raises(SecSchemaError):
        validate_customers(b'[{"X": 1}]', endpoint="GetClientesRegional", key="region_05")


_ROW = '{"NOMBRE_REGION":"Maule","NOMBRE_COMUNA":"Talca","CLIENTES_AFECTADOS":%s}'


@pytest.mark.parametrize(
    ("body", "reason", "rule"),
    [
        ((b"[" + (_ROW % "NaN").encode() + b"]"), "non-finite number NaN", "NaN count"),
        ((b"[" + (_ROW % "Infinity").encode() + b"]"), "non-finite", "Infinity count"),
        ((b"[" + (_ROW % "-Infinity").encode() + b"]"), "non-finite", "-Infinity count"),
        ((b"[" + (_ROW % "1e400").encode() + b"]"), "overflows a double", "1e400"),
        ((b"[" + (_ROW % "100000000000000000000").encode() + b"]"), "out of range", "10^20"),
        ((b"[" + (_ROW % '{"v": 1}').encode() + b"]"), "JSON dict where", "nested object"),
        ((b"[" + (_ROW % "[1]").encode() + b"]"), "JSON list where", "nested list"),
        ((b"[" + (_ROW % '"Maip\\ud800u"').encode() + b"]"), "lone surrogate", "surrogate"),
        (b"\xef\xbb\xbf[" + (_ROW % "1").encode() + b"]", "byte order mark", "UTF-8 BOM"),
    ],
)
def test_hostile_values_are_typed_schema_errors(body: bytes, reason: str, rule: str) -> None:
    """Each is complete JSON a column cannot hold: a schema error naming the hour and a
    snippet, never a crash (``int(nan)``) and never a transient retry."""
    with pytest.raises(SecSchemaError, match=reason) as info:
        validate_snapshot(body, hour="2024-08-02T05")
    assert info.value.hour == "2024-08-02T05" and info.value.snippet, rule


@pytest.mark.parametrize("value", ["12", "12.0", "null", '"N/A"', "-3", "9007199254740992"])
def test_storable_odd_values_pass_for_silver_to_count(value: str) -> None:
    body = ("[" + _ROW % value + "]").encode()
    assert len(validate_snapshot(body, hour="h").rows) == 1

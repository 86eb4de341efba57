import json
from pathlib import Path

import pytest

from sec_assets.sec_client.errors import SecInvalidBodyError, SecSchemaError, SecWrongDateError
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
        ((b"[" + (_ROW % "100000000000000000000").encode() + b"]"), "outside 0..", "10^20"),
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


@pytest.mark.parametrize(
    ("value", "customers"),
    [
        ("12", 12),
        ("12.0", 12),  # an integral float is that integer
        ('"12"', 12),  # a number sent as a string: the same rule, the same value
        ('" 12.0 "', 12),
        ('"10000000"', 10_000_000),  # MAX_CUSTOMERS itself
        ("null", 0),  # not a number at all: kept, silver counts it as missing
        ('"N/A"', 0),
        ('""', 0),
    ],
)
def test_storable_values_pass_for_silver_to_count(value: str, customers: int) -> None:
    answer = validate_snapshot(("[" + _ROW % value + "]").encode(), hour="h")
    assert len(answer.rows) == 1 and answer.customers == customers


@pytest.mark.parametrize(
    ("value", "reason", "rule"),
    [
        ('"NaN"', "not a finite number", "NaN sent as a string"),
        ('"nan"', "not a finite number", "NaN, any case"),
        ('"Infinity"', "not a finite number", "Infinity sent as a string"),
        ('"-inf"', "not a finite number", "minus infinity sent as a string"),
        ('"1e400"', "not a finite number", "a string that overflows a double"),
        ('"1e30"', "outside 0..", "above MAX_CUSTOMERS, as a string"),
        ("1e30", "outside 0..", "above MAX_CUSTOMERS, as a number"),
        ('"' + "9" * 30 + '"', "outside 0..", "30 digits as a string"),
        ('"9000000000000000000"', "outside 0..", "a value whose sum would wrap int64"),
        ("10000001", "outside 0..", "one above MAX_CUSTOMERS"),
        ("-3", "outside 0..", "a negative count"),
        ('"-3"', "outside 0..", "a negative count as a string"),
        ("12.5", "not an integer", "a fractional count"),
        ('"12.5"', "not an integer", "a fractional count as a string"),
        ("9007199254740992", "outside 0..", "2^53"),
    ],
)
def test_numbers_break_the_same_rule_as_numbers_or_strings(
    value: str, reason: str, rule: str
) -> None:
    """A customer count is an integer in 0..MAX_CUSTOMERS whether sent as a number or as a
    string; anything else is a schema_error of the hour (fetched again), never an ok hour
    that silver cannot read."""
    with pytest.raises(SecSchemaError, match=reason) as info:
        validate_snapshot(("[" + _ROW % value + "]").encode(), hour="2024-08-02T05")
    assert info.value.kind == "schema_error", rule


@pytest.mark.parametrize(
    ("over", "reason", "rule"),
    [
        ({"DIA_INT": 32}, "DIA_INT=32 is outside", "a day past 31"),
        ({"MES_INT": "13"}, "MES_INT='13' is outside", "a month past 12, as a string"),
        ({"ANHO_INT": "NaN"}, "ANHO_INT='NaN' is not a finite", "a year NaN"),
        ({"HORA": 24.5}, "HORA=24.5 is not an integer", "a fractional hour"),
        ({"CLIENTES_AFECTADOS": "2e7"}, "outside 0..", "legacy count above the bound"),
    ],
)
def test_every_numeric_field_of_the_legacy_era_has_its_rule(
    over: dict, reason: str, rule: str
) -> None:
    body = json.dumps([_legacy_row(**over)]).encode()
    with pytest.raises(SecSchemaError, match=reason):
        validate_snapshot(body, hour="2026-01-19T10")
    assert rule


_DUP = b'[{"NOMBRE_REGION":"Maule","NOMBRE_COMUNA":"Talca","CLIENTES_AFECTADOS":%s}]'


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (_DUP % b'1,"CLIENTES_AFECTADOS":2', "a count given twice"),
        (_DUP % b'1,"NOMBRE_COMUNA":"Maipu"', "a name given twice"),
        (_DUP % b'1,"CLIENTES_AFECTAD\\u004fS":2', "a repeat written with an escape"),
        (_DUP % b'1,"CLIENTES_AFECTADOS" :2', "a repeat with a blank before its colon"),
        (_DUP % b'1,"CLIENTES_AFECTADOS"\n:2', "a repeat with a newline before its colon"),
    ],
)
def test_a_key_repeated_in_one_object_is_a_schema_error(body: bytes, rule: str) -> None:
    with pytest.raises(SecSchemaError, match="appears twice in one JSON object"):
        validate_snapshot(body, hour="2024-08-02T05")
    assert rule


@pytest.mark.parametrize(
    "name", [b'"NOMBRE_COMUNA"', b'"Tal\\":ca"', b'"x"'], ids=["field name", "quote-colon", "plain"]
)
def test_what_looks_like_a_key_inside_a_value_is_not_a_repeat(name: bytes) -> None:
    body = _DUP.replace(b'"Talca"', name) % b"1"
    assert validate_snapshot(body, hour="2024-08-02T05").customers == 1


@pytest.mark.parametrize(
    ("over", "hour", "rule"),
    [
        ({"DIA_INT": 20, "MES_INT": 1, "ANHO_INT": 2026}, "2026-01-19T10", "starts the next day"),
        ({"DIA_INT": 1, "MES_INT": 2, "ANHO_INT": 2026}, "2026-01-19T10", "starts next month"),
        ({"FECHA_INT_STR": "25/1/2026"}, "2026-01-19T10", "FECHA_INT_STR after the date asked"),
        ({"DIA_INT": 19, "MES_INT": 1, "ANHO_INT": 2027}, "2026-01-19T23", "a year later"),
    ],
)
def test_a_legacy_answer_for_another_date_is_wrong_date(over: dict, hour: str, rule: str) -> None:
    """DIA_INT/MES_INT/ANHO_INT are the outage's start date (the seed's saved answers): no
    outage of the answer for an hour starts after that hour's date."""
    body = json.dumps([_legacy_row(), _legacy_row(**over)]).encode()
    with pytest.raises(SecWrongDateError, match="after the date asked") as info:
        validate_snapshot(body, hour=hour)
    assert info.value.kind == "wrong_date" and isinstance(info.value, SecSchemaError), rule


def test_outages_that_started_before_or_on_the_date_asked_are_fine() -> None:
    rows = [
        _legacy_row(DIA_INT=19, MES_INT=1, ANHO_INT=2026, FECHA_INT_STR="19/1/2026"),
        _legacy_row(DIA_INT=28, MES_INT=12, ANHO_INT=2025, FECHA_INT_STR="28/12/2025"),
        _legacy_row(FECHA_INT_STR="31/02/2026"),  # unparsable: silver's fecha_fallback
    ]
    answer = validate_snapshot(json.dumps(rows).encode(), hour="2026-01-19T00")
    assert answer.era == "legacy" and len(answer.rows) == 3


def test_bytes_that_are_not_utf8_are_a_schema_error() -> None:
    body = b'[{"NOMBRE_REGION":"Maule","NOMBRE_COMUNA":"Tal\xf1a","CLIENTES_AFECTADOS":1}]'
    with pytest.raises(SecSchemaError, match="not UTF-8"):
        validate_snapshot(body, hour="h")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[{"CLIENTES": 780563}]', 780563),
        (b'[{"CLIENTES": "780563"}]', 780563),
        (b'[{"CLIENTES": 780563.0}]', 780563),
        (b'[{"CLIENTES": "NaN"}]', None),
        (b'[{"CLIENTES": -1}]', None),
        (b'[{"CLIENTES": 1e30}]', None),
        (b'[{"CLIENTES": true}]', None),
        (b'[{"CLIENTES": 12.5}]', None),
    ],
)
def test_customers_follow_the_same_rule(body: bytes, expected: int | None) -> None:
    call = lambda: validate_customers(body, endpoint="GetClientesRegional", key="region_05")  # noqa: E731
    if expected is None:
        with pytest.raises(SecSchemaError):
            call()
    else:
        assert call() == expected


@pytest.mark.parametrize("fecha", ['"32/05/2024 15:30"', '"23/05/2024 25:00"', "20240523", "null"])
def test_server_time_parts_must_be_a_date_and_time(fecha: str) -> None:
    with pytest.raises(SecSchemaError):
        validate_server_time(b'[{"FECHA": %s}]' % fecha.encode())

"""Get's validation assumes no fixed shape: the observed one is read, case and key aliases
tolerated; anything without a date, hour and integer customers is a typed schema error."""

import json

import pytest

from sec_assets.sec_client.errors import SecInvalidBodyError, SecSchemaError
from sec_assets.sec_client.national import validate_national_series


def _body(rows) -> bytes:
    return json.dumps(rows).encode()


def test_observed_shape_newest_last():
    rows = [
        {"anho": 2024, "mes": 8, "dia": 2, "hora": h, "clientes_afectados": 1000 + h}
        for h in (10, 11, 12)
    ]
    points = validate_national_series(_body(rows))
    assert [(p.hour_key, p.clientes) for p in points] == [
        ("2024-08-02T10", 1010),
        ("2024-08-02T11", 1011),
        ("2024-08-02T12", 1012),
    ]


def test_upper_case_keys_are_read():
    rows = [{"ANHO": 2024, "MES": 8, "DIA": 2, "HORA": 0, "CLIENTES_AFECTADOS": 5}]
    assert validate_national_series(_body(rows))[0].hour_key == "2024-08-02T00"


@pytest.mark.parametrize(
    "payload, rule",
    [
        ({"anho": 2024}, "an object, not a list"),
        ([{"NOMBRE_COMUNA": "Maipu", "CLIENTES_AFECTADOS": 3}], "per-comuna shape: no date"),
        ([{"anho": 2024, "mes": 8, "dia": 2, "hora": 1, "clientes_afectados": "N/A"}], "text"),
        ([{"anho": 2024, "mes": 2, "dia": 30, "hora": 1, "clientes_afectados": 1}], "no date"),
        ([{"anho": 2024, "mes": 8, "dia": 2, "hora": 24, "clientes_afectados": 1}], "hour 24"),
    ],
)
def test_unknown_shapes_are_schema_errors(payload, rule):
    with pytest.raises(SecSchemaError):
        validate_national_series(_body(payload))


def test_html_is_an_invalid_body():
    with pytest.raises(SecInvalidBodyError):
        validate_national_series(b"<html>Runtime Error</html>")

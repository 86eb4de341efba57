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


def test_simulator_get_sums_getporfecha_and_can_be_told_to_disagree():
    from datetime import datetime

    from sec_sim import SimConfig
    from sec_sim.service import SimService
    from sec_sim.timeutil import hour_index

    clock = datetime(2024, 8, 3, 12)
    plain = SimService(SimConfig(seed=1, clock=clock, series_days=2))
    skewed = SimService(
        SimConfig(seed=1, clock=clock, series_days=2, series_disagree_hours=["2024-08-02T12"])
    )
    series = {
        f"{p['anho']}-{p['mes']:02d}-{p['dia']:02d}T{p['hora']:02d}": p for p in plain.series()
    }
    assert len(series) == 2 * 24 and list(series)[-1] == "2024-08-03T12"
    rows = plain.por_fecha(hour_index(datetime(2024, 8, 2, 12)))
    expected = sum(int(r["CLIENTES_AFECTADOS"]) for r in rows)
    assert series["2024-08-02T12"]["clientes_afectados"] == expected
    skew = {
        f"{p['anho']}-{p['mes']:02d}-{p['dia']:02d}T{p['hora']:02d}": p for p in skewed.series()
    }
    assert skew["2024-08-02T12"]["clientes_afectados"] == round(expected * 1.5)
    assert skew["2024-08-02T11"] == series["2024-08-02T11"]

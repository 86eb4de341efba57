"""Silver never crashes on a value bronze stored (issue 25): answers stored as ok by older rules
(a count "NaN" as a string, two rows whose sum wraps int64, an outage that starts after the hour)
are read from real bronze files, quarantined with their reason and counted; the month builds.
Control characters in the SEC's text are removed once, and counted."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.sec_client.exchange import Attempt
from sec_assets.silver.bronze_reader import read_month
from sec_assets.silver.number_guard import bad_number_hours
from sec_assets.silver.text import clean_fields
from sec_assets.silver.transform import build_month

NOW = datetime(2030, 1, 1, tzinfo=UTC)
CUSTOMERS = pl.DataFrame({"cut_region": [7, 13], "customers": [500_000, 3_000_000]})


@pytest.mark.parametrize(
    ("value", "bad", "rule"),
    [
        ("12", False, "an integer"),
        (" 12.0 ", False, "an integral number with blanks"),
        ("10000000", False, "MAX_CUSTOMERS itself"),
        ("N/A", False, "not a number: silver counts it as missing"),
        (None, False, "null: missing"),
        ("NaN", True, "not finite"),
        ("inf", True, "not finite"),
        ("1e400", True, "overflows a double"),
        ("1e30", True, "above MAX_CUSTOMERS"),
        ("9" * 30, True, "30 digits"),
        ("9000000000000000000", True, "a sum of two would wrap int64"),
        ("-1", True, "negative"),
        ("12.5", True, "not an integer"),
    ],
)
def test_silvers_number_rule_is_bronzes(value: str | None, bad: bool, rule: str) -> None:
    rows = pl.DataFrame(
        {"hour_key": ["h", "ok"], "CLIENTES_AFECTADOS": [value, "3"]},
        schema={"hour_key": pl.Utf8, "CLIENTES_AFECTADOS": pl.Utf8},
    )
    found = bad_number_hours(rows)
    assert found["hour_key"].to_list() == (["h"] if bad else []), rule


def test_control_characters_are_removed_and_flagged() -> None:
    rows = pl.DataFrame(
        {
            "NOMBRE_COMUNA": ["Mai\x00pu", "Santiago\tCentro", "Talca", None, "Linares\x85\x7f"],
            "NOMBRE_REGION": ["Metropolitana"] * 4 + ["Maule\n"],
        }
    )
    out = clean_fields(rows, "flag")
    assert out["NOMBRE_COMUNA"].to_list() == ["Maipu", "Santiago Centro", "Talca", None, "Linares"]
    assert out["NOMBRE_REGION"][4] == "Maule "
    assert out["flag"].to_list() == [True, True, False, False, True]


def _store(root: Path, bodies: dict[str, tuple[list[dict], str]]) -> BronzeStore:
    """Each hour's answer stored as ok under the validation version given (older code)."""
    store = BronzeStore(root, "sec_snapshots")
    for key, (rows, version) in bodies.items():
        body = json.dumps(rows, ensure_ascii=False).encode()
        era = "legacy" if "FECHA_INT_STR" in rows[0] else "current"
        attempt = Attempt(
            "GetPorFecha", "http://x", {}, key, 1, datetime(2024, 8, 5, tzinfo=UTC), 1.0, 200,
            {}, body, "ok", era=era, fingerprint="f", rows=len(rows), customers=0,
        )  # fmt: skip
        path = store.write("2024-08", attempt, extra={"validated_by": version})
        assert path.exists()
    return store


def _cur(comuna: str, clientes: object) -> dict:
    return {"NOMBRE_REGION": "Maule", "NOMBRE_COMUNA": comuna, "CLIENTES_AFECTADOS": clientes}


def _leg(start: date) -> dict:
    return {
        "DIA_INT": start.day, "MES_INT": start.month, "ANHO_INT": start.year,
        "HORA": 0, "DIA": 0, "MES": 0, "ANHO": 0,
        "NOMBRE_REGION": "Maule", "NOMBRE_COMUNA": "Talca", "NOMBRE_EMPRESA": "CGE",
        "CLIENTES_AFECTADOS": 4, "ACTUALIZADO_HACE": "0 Dias 0 Horas 5 Minutos ",
        "FECHA_INT_STR": f"{start.day}/{start.month}/{start.year}",
    }  # fmt: skip


def test_answers_stored_by_older_rules_are_quarantined_not_a_crash(tmp_path: Path) -> None:
    wrap = "9000000000000000000"
    store = _store(
        tmp_path,
        {
            # stored under this version's number, yet holding what the rule refuses
            "2024-08-01T00": ([_cur("Talca", "NaN"), _cur("Linares", 3)], "3"),
            "2024-08-01T01": ([_cur("Talca", wrap), _cur("Talca", wrap)], "2"),
            "2024-08-01T02": ([_cur("Talca", "1e30")], "2"),
            "2024-08-01T03": ([_leg(date(2024, 8, 4))], "2"),  # starts after the date asked
            "2024-08-01T04": ([_cur("Tal\x00ca", 7), _cur("Linares", "12.0")], "2"),
        },
    )
    answers = read_month(store, "2024-08")
    month = build_month(answers, CUSTOMERS, month=Month(2024, 8), now=NOW)
    status = dict(month.ledger.select("hour_key", "status").iter_rows())
    assert [status[f"2024-08-01T0{h}"] for h in range(5)] == [
        "schema_error", "schema_error", "schema_error", "wrong_date", "ok",
    ]  # fmt: skip
    reasons = dict(month.quarantine.select("hour_key", "reason").iter_rows())
    assert reasons == {
        "2024-08-01T00": "schema_error",
        "2024-08-01T01": "schema_error",
        "2024-08-01T02": "schema_error",
        "2024-08-01T03": "wrong_date",
    }
    details = dict(month.quarantine.select("hour_key", "detail").iter_rows())
    assert "CLIENTES_AFECTADOS=NaN" in details["2024-08-01T00"]
    assert wrap in details["2024-08-01T01"] and "after the date asked" in details["2024-08-01T03"]
    facts = month.facts
    assert set(facts["hour_key"]) == {"2024-08-01T04"}
    assert sorted(facts["clientes_afectados"].to_list()) == [7, 12]
    assert not facts["nombre_comuna_raw"].str.contains("\x00").any()
    guard = dict(month.guardrails.select("guardrail", "rows").iter_rows())
    assert guard["control_chars"] == 1 and guard["quarantined"] == 4


@pytest.mark.parametrize(
    ("clientes", "expected", "source", "rule"),
    [
        ("780563", 780_563, "sec", "a number sent as a string: the same rule, the same value"),
        ("1000000000000000000000000000000", None, "seed", "beyond int64: stored by older code"),
        ('"NaN"', None, "seed", "not finite"),
        ("-5", None, "seed", "negative"),
    ],
)
def test_region_customers_follow_the_clients_rule(
    tmp_path: Path, clientes: str, expected: int | None, source: str, rule: str
) -> None:
    from sec_assets.masterdata import regions
    from sec_assets.silver.customers import region_customers

    store = BronzeStore(tmp_path, "sec_customers")
    value = clientes if not clientes.isdigit() or len(clientes) > 20 else f'"{clientes}"'
    body = f'[{{"CLIENTES": {value}, "REGION_ID": 5}}]'.encode()
    attempt = Attempt(
        "GetClientesRegional", "http://x", {}, "region_05", 1, datetime(2024, 8, 5, tzinfo=UTC),
        1.0, 200, {}, body, "ok",
    )  # fmt: skip
    store.write("2024-08", attempt)
    row = region_customers(store, "2024-08").filter(pl.col("cut_region") == 5).row(0, named=True)
    seed = regions().filter(pl.col("cut_region") == 5)["clientes"].item()
    assert (row["customers"], row["source"]) == (expected or seed, source), rule

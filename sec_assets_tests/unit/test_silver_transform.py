"""The bronze → silver transform on crafted answers whose right result is known by hand."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from sec_assets.month import Month
from sec_assets.silver.bronze_reader import MonthAnswers, hours_schema, raw_schema
from sec_assets.silver.transform import build_month

NOW = datetime(2030, 1, 1, tzinfo=UTC)
CUSTOMERS = pl.DataFrame({"cut_region": [7, 13], "customers": [500, 3_000_000]})


def cur(comuna: str, clientes: object, region: str = "Metropolitana") -> dict:
    return {"NOMBRE_REGION": region, "NOMBRE_COMUNA": comuna, "CLIENTES_AFECTADOS": clientes}


def leg(
    comuna: str,
    clientes: object,
    empresa: str = "ENEL",
    fecha: str = "2/8/2024",
    region: str = "Metropolitana",
    act: str = "0 Dias 1 Horas 5 Minutos ",
) -> dict:
    return {
        "NOMBRE_REGION": region,
        "NOMBRE_COMUNA": comuna,
        "NOMBRE_EMPRESA": empresa,
        "CLIENTES_AFECTADOS": clientes,
        "FECHA_INT_STR": fecha,
        "ACTUALIZADO_HACE": act,
    }


def answers(
    by_hour: dict[str, tuple[str, list[dict]]],
    failed: dict[str, str] | None = None,
    server: datetime | None = None,
) -> MonthAnswers:
    """by_hour: hour_key → (era, rows); failed: hour_key → outcome of a failed hour."""
    rows, hours, eras = [], [], []
    for key, (era, body) in by_hour.items():
        for r in body:
            rows.append(
                {
                    **dict.fromkeys(raw_schema()),
                    **{k: None if v is None else str(v) for k, v in r.items()},
                    "hour_key": key,
                    "era": era,
                }
            )
        outcome = "empty" if not body else "ok"
        hours.append(
            {
                "hour_key": key,
                "outcome": outcome,
                "versions": 1,
                "attempts": 1,
                "fetched_at": NOW,
                "error": None,
                "source_file": f"x/{key}.json.gz",
            }
        )
        eras.append(
            {
                "hour_key": key,
                "era": era if body else "empty",
                "fingerprint": "f",
                "rows_raw": len(body),
                "customers_raw": 0,
            }
        )
    for key, outcome in (failed or {}).items():
        hours.append(
            {
                "hour_key": key,
                "outcome": outcome,
                "versions": 0,
                "attempts": 3,
                "fetched_at": NOW,
                "error": f"boom {outcome}",
                "source_file": f"x/{key}",
            }
        )
    schema = {**raw_schema(), "hour_key": pl.Utf8, "era": pl.Utf8}
    return MonthAnswers(
        pl.DataFrame(rows, schema=schema),
        pl.DataFrame(hours, schema=hours_schema()),
        pl.DataFrame(
            eras,
            schema={
                "hour_key": pl.Utf8,
                "era": pl.Utf8,
                "fingerprint": pl.Utf8,
                "rows_raw": pl.Int32,
                "customers_raw": pl.Int64,
            },
        ),
        server,
    )


def build(a: MonthAnswers, per_day: int = 24):
    return build_month(a, CUSTOMERS, month=Month(2024, 8), hours_per_day=per_day, now=NOW)


def test_current_era_rows_become_facts_with_unique_hash() -> None:
    out = build(answers({"2024-08-02T12": ("current", [cur("Maipu", 10), cur("Ñuñoa", 5)])}))
    facts = out.facts
    assert facts.select("geografia_id", "empresa_id", "clientes_afectados").rows() == [
        (13119, "no_informada", 10),
        (13120, "no_informada", 5),
    ]
    assert facts["hash_id"].n_unique() == 2 and facts[
        "hash_id"
    ].str.len_chars().unique().to_list() == [32]
    assert facts["tiempo_id"].unique().to_list() == [20240802]


def test_legacy_fragments_of_one_key_are_summed() -> None:
    body = [
        leg("Maipu", 3),
        leg("Maipu", 4),
        leg("Maipu", 5, fecha="01/08/2024"),
        leg("Maipu", 1, empresa="CGE"),
    ]
    facts = build(answers({"2024-08-02T12": ("legacy", body)})).facts
    got = {
        (r["empresa_id"], r["fecha_inicio"].day): (r["clientes_afectados"], r["fragmentos"])
        for r in facts.iter_rows(named=True)
    }
    assert got == {("enel", 2): (7, 2), ("enel", 1): (5, 1), ("cge", 2): (1, 1)}
    assert facts["actualizado_hace_min"].unique().to_list() == [65]


@pytest.mark.parametrize(
    ("row", "flag", "clientes", "rule"),
    [
        (cur("Maipu", None), "flag_clientes_missing", 0, "null customers → 0"),
        (cur("Maipu", "N/A"), "flag_clientes_missing", 0, "non-numeric customers → 0"),
        (cur("Maipu", -3), "flag_clientes_missing", 0, "negative customers → 0"),
        (cur("Atlantis", 9), "flag_geo_unknown", 9, "unknown comuna → region UNKNOWN"),
        (cur("Talca", 900, region="Maule"), "flag_capped", 500, "above region customers → cap"),
    ],
)
def test_guardrails_are_applied_and_counted(row: dict, flag: str, clientes: int, rule: str) -> None:
    out = build(answers({"2024-08-02T12": ("current", [row, cur("Renca", 1)])}))
    hit = out.facts.filter(pl.col(flag))
    assert hit.height == 1 and hit["clientes_afectados"].item() == clientes, rule
    counts = dict(out.guardrails.select("guardrail", "rows").iter_rows())
    assert counts[flag.removeprefix("flag_")] == 1, rule


def test_unparsable_start_date_falls_back_to_server_time_or_hour() -> None:
    body = [leg("Maipu", 3, fecha="31/02/2024"), leg("Ñuñoa", 2, fecha="--")]
    server = datetime(2024, 8, 2, 9, 30)
    facts = build(answers({"2024-08-02T12": ("legacy", body)}, server=server)).facts
    assert facts["flag_fecha_fallback"].all()
    assert facts["fecha_inicio"].unique().to_list() == [server]
    later = build(answers({"2024-08-02T12": ("legacy", body)}, server=datetime(2026, 1, 1))).facts
    assert later["fecha_inicio"].unique().to_list() == [datetime(2024, 8, 2, 12)]


def test_unknown_company_goes_to_unknown_member() -> None:
    facts = build(answers({"2024-08-02T12": ("legacy", [leg("Maipu", 3, empresa="ACME")])})).facts
    assert facts["empresa_id"].item() == "unknown" and facts["flag_empresa_unknown"].item()


def test_ledger_tells_zero_from_no_data() -> None:
    busy = [
        cur(c, 5)
        for c in (
            "Maipu",
            "Ñuñoa",
            "Santiago",
            "Puente Alto",
            "La Florida",
            "Providencia",
            "Las Condes",
            "Renca",
            "Quilicura",
            "Pudahuel",
            "Cerrillos",
            "La Reina",
            "Macul",
            "Peñalolen",
            "Lo Prado",
            "Conchali",
            "Recoleta",
            "Independencia",
            "Lampa",
            "Colina",
            "Buin",
            "Paine",
        )
    ]
    a = answers(
        {
            "2024-08-01T00": ("current", busy),
            "2024-08-01T01": ("current", busy[:2]),  # collapses: degraded
            "2024-08-01T02": ("current", busy),
            "2024-08-01T03": ("current", []),  # a valid empty answer
        },
        failed={"2024-08-01T04": "http_503", "2024-08-01T05": "schema_error"},
    )
    out = build(a)
    status = dict(out.ledger.select("hour_key", "status").head(7).iter_rows())
    assert status == {
        "2024-08-01T00": "ok",
        "2024-08-01T01": "degraded",
        "2024-08-01T02": "ok",
        "2024-08-01T03": "empty",
        "2024-08-01T04": "failed",
        "2024-08-01T05": "schema_error",
        "2024-08-01T06": "missing",
    }
    assert out.ledger.height == 744
    assert out.ledger.filter(pl.col("status") == "failed")["error"].item() == "boom http_503"
    assert out.quarantine.select("hour_key", "reason").rows() == [("2024-08-01T05", "schema_error")]
    counts = dict(out.guardrails.select("guardrail", "rows").iter_rows())
    assert counts["quarantined"] == 1


def test_sampled_cadence_expects_only_sampled_hours() -> None:
    out = build(answers({"2024-08-01T06": ("current", [cur("Maipu", 1)])}), per_day=4)
    assert out.ledger.height == 31 * 4
    assert set(out.ledger["hora_local"].dt.hour().unique()) == {0, 6, 12, 18}


def test_identical_duplicate_rows_are_summed_and_counted() -> None:
    """109 → 218 silently before: now summed as the era's rule is, and counted."""
    body = [leg("Maipu", 109), leg("Maipu", 109), leg("Maipu", 4)]  # two copies, one fragment
    other_hour = [cur("Maipu", 7), cur("Maipu", 7)]
    out = build(
        answers({"2024-08-02T12": ("legacy", body), "2024-08-02T13": ("current", other_hour)})
    )
    guard = {
        r["guardrail"]: (r["rows"], r["customers"]) for r in out.guardrails.iter_rows(named=True)
    }
    assert guard["duplicate_rows"] == (2, 116)  # one extra copy in each hour
    assert sorted(out.facts["clientes_afectados"].to_list()) == [14, 222]
    clean = build(answers({"2024-08-02T12": ("legacy", [leg("Maipu", 3), leg("Maipu", 4)])}))
    assert dict(clean.guardrails.select("guardrail", "rows").iter_rows())["duplicate_rows"] == 0


def test_the_calendar_reaches_past_any_month_of_its_year_plus_margin() -> None:
    """dim_tiempo is derived from the day it is built: built in 2031, every day of 2031's
    months (and five years on) has its row, and the history's first day is its first."""

    from sec_assets.silver import dims

    frame = dims.dim_tiempo(today=date(2031, 1, 15))
    ids = set(frame["tiempo_id"].to_list())
    january_2031 = {int(h.day.strftime("%Y%m%d")) for h in Month(2031, 1).hours()}
    assert january_2031 <= ids
    assert 20361231 in ids and 20370101 not in ids
    assert frame.filter(~frame["is_unknown"])["fecha"].min() == date(2017, 1, 1)
    assert 0 in ids  # the UNKNOWN member

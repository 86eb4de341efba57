"""What the simulated service answers: the two payload eras, quirks, revisions, gaps."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from sec_sim import CURRENT_FIELDS, LEGACY_FIELDS, SimConfig, SimService, truth_hourly
from sec_sim.master import load_master
from sec_sim.service import BadRequest, hour_of_body
from sec_sim.timeutil import hour_index

LATE_CLOCK = datetime(2027, 6, 1, 12, 0)
STORM = datetime(2024, 8, 2, 12)


def service(**over: object) -> SimService:
    values: dict[str, object] = {"seed": 42, "clock": LATE_CLOCK}
    values.update(over)
    return SimService(SimConfig.model_validate(values))


def total(rows: list[dict]) -> int:
    return sum(int(r["CLIENTES_AFECTADOS"]) for r in rows)


def test_current_era_has_exactly_three_fields_sorted_like_the_service() -> None:
    rows = service().por_fecha(hour_index(STORM))
    assert all(tuple(r) == CURRENT_FIELDS for r in rows)
    assert all(
        isinstance(r["CLIENTES_AFECTADOS"], int) and r["CLIENTES_AFECTADOS"] > 0 for r in rows
    )
    keys = [(r["NOMBRE_REGION"], r["NOMBRE_COMUNA"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # one row per comuna


def test_legacy_era_has_the_thirteen_fields() -> None:
    moment = STORM
    rows = service(era="legacy").por_fecha(hour_index(moment))
    assert rows and all(tuple(r) == LEGACY_FIELDS for r in rows)
    for r in rows:
        assert (r["HORA"], r["DIA"], r["MES"], r["ANHO"]) == (0, 0, 0, 0)
        # DIA_INT/MES_INT/ANHO_INT: the outage's start date, FECHA_INT_STR's parts (the seed's
        # saved answers), never after the hour asked.
        start = (r["DIA_INT"], r["MES_INT"], r["ANHO_INT"])
        assert start == tuple(int(p) for p in r["FECHA_INT_STR"].split("/"))
        assert date(*reversed(start)) <= moment.date()
        assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", r["FECHA_INT_STR"])
        assert re.fullmatch(r"\d+ Dias \d+ Horas \d+ Minutos ?", r["ACTUALIZADO_HACE"])
    fechas = {r["FECHA_INT_STR"] for r in rows}
    assert any(re.fullmatch(r"\d/\d/\d{4}", f) for f in fechas)  # not zero padded
    assert any(re.fullmatch(r"\d\d/\d\d/\d{4}", f) for f in fechas)  # zero padded
    hace = [r["ACTUALIZADO_HACE"] for r in rows]
    assert any(h.endswith(" ") for h in hace) and any(not h.endswith(" ") for h in hace)
    companies = {e.nombre for e in load_master().empresas.values()}
    assert {r["NOMBRE_EMPRESA"] for r in rows if r["NOMBRE_EMPRESA"]} <= companies


def test_legacy_fragments_sum_to_the_truth() -> None:
    svc = service(era="legacy", empty_row_rate=0.0, revision_rate=0.0)
    master = load_master()
    names = {c.cut: (master.regions[c.cut_region].sec_name, c.sec_name) for c in master.comunas}
    companies = {e.empresa_id: e.nombre for e in master.empresas.values()}
    hourly = truth_hourly("2024-08")
    fragments = 0
    for moment in (STORM, datetime(2024, 8, 11, 20)):
        rows = svc.por_fecha(hour_index(moment))
        summed: dict[tuple, int] = defaultdict(int)
        keys = Counter()
        for r in rows:
            summed[(r["NOMBRE_REGION"], r["NOMBRE_COMUNA"], r["NOMBRE_EMPRESA"])] += r[
                "CLIENTES_AFECTADOS"
            ]
            keys[(r["NOMBRE_COMUNA"], r["NOMBRE_EMPRESA"], r["FECHA_INT_STR"])] += 1
        fragments += sum(1 for n in keys.values() if n > 1)
        truth = {
            (*names[c], companies[e]): n
            for c, e, n in hourly.filter(pl.col("hour") == moment)
            .select("cut_comuna", "empresa_id", "customers")
            .iter_rows()
        }
        assert dict(summed) == truth
        current = service(empty_row_rate=0.0, revision_rate=0.0).por_fecha(hour_index(moment))
        assert total(rows) == total(current)
    assert fragments > 0  # some keys come split in pieces


def test_stray_row_with_empty_names_appears_at_a_low_rate() -> None:
    svc = service(revision_rate=0.0)
    start = hour_index(datetime(2026, 10, 1))
    answers = [svc.por_fecha(h) for h in range(start, start + 31 * 24)]
    stray = [rows[0] for rows in answers if rows and rows[0]["NOMBRE_COMUNA"] == ""]
    assert 0.005 * len(answers) <= len(stray) <= 0.08 * len(answers)
    assert all(
        r == {"NOMBRE_REGION": "", "NOMBRE_COMUNA": "", "CLIENTES_AFECTADOS": 1} for r in stray
    )
    quiet = service(empty_row_rate=0.0)
    assert all(r["NOMBRE_COMUNA"] for h in range(start, start + 48) for r in quiet.por_fecha(h))


def test_known_gap_of_2025_01_03_answers_empty() -> None:
    svc = service()
    gap = [svc.por_fecha(hour_index(datetime(2025, 1, 3, h))) for h in range(3, 8)]
    assert gap == [[]] * 5
    assert svc.por_fecha(hour_index(datetime(2025, 1, 3, 2)))
    assert svc.por_fecha(hour_index(datetime(2025, 1, 3, 8)))
    assert service(known_gap=False).por_fecha(hour_index(datetime(2025, 1, 3, 5)))


def test_future_hours_are_empty() -> None:
    svc = service(clock=datetime(2026, 10, 4, 10, 30))
    assert svc.por_fecha(hour_index(datetime(2026, 10, 4, 10)))
    assert svc.por_fecha(hour_index(datetime(2026, 10, 4, 11))) == []


def test_recent_hours_are_revised_when_asked_again_on_a_later_day() -> None:
    hour = hour_index(datetime(2026, 10, 3, 15))
    final = service(revision_rate=0.0).por_fecha(hour)
    day1 = service(clock=datetime(2026, 10, 3, 18), revision_rate=0.2).por_fecha(hour)
    same_day = service(clock=datetime(2026, 10, 3, 23), revision_rate=0.2).por_fecha(hour)
    day2 = service(clock=datetime(2026, 10, 4, 9), revision_rate=0.2).por_fecha(hour)
    later = service(clock=datetime(2026, 10, 9, 9), revision_rate=0.2).por_fecha(hour)
    assert day1 == same_day  # one version per simulator day
    assert day1 != day2 and day1 != final and later == final
    for version in (day1, day2):
        assert [r["NOMBRE_COMUNA"] for r in version] == [r["NOMBRE_COMUNA"] for r in final]
        changed = [
            (a["CLIENTES_AFECTADOS"], b["CLIENTES_AFECTADOS"])
            for a, b in zip(version, final, strict=True)
            if a != b
        ]
        assert 0 < len(changed) < 0.5 * len(final)
        assert all(abs(a - b) <= max(1, 0.2 * b) for a, b in changed)  # slightly


def test_era_cutover_by_hour_asked() -> None:
    svc = service(era=date(2024, 8, 2))
    assert tuple(svc.por_fecha(hour_index(datetime(2024, 8, 1, 23)))[-1]) == LEGACY_FIELDS
    assert tuple(svc.por_fecha(hour_index(datetime(2024, 8, 2, 0)))[-1]) == CURRENT_FIELDS
    auto = SimConfig(era="auto")
    assert auto.era_for(datetime(2026, 5, 31, 23)) == "legacy"
    assert auto.era_for(datetime(2026, 6, 1, 0)) == "current"
    assert SimConfig(era="2025-01-01").era_for(datetime(2024, 12, 31)) == "legacy"


def test_getporfecha_body() -> None:
    assert hour_of_body({"anho": 2024, "mes": 8, "dia": 2, "hora": 12}) == hour_index(STORM)
    assert hour_of_body({"anho": "2024", "mes": "8", "dia": "2", "hora": "12"}) == hour_index(STORM)
    assert hour_of_body({"anho": 2024, "mes": 8, "dia": 2}) == hour_index(datetime(2024, 8, 2))
    for bad in (
        {"mes": 8, "dia": 2},
        {"anho": 2024, "mes": 13, "dia": 2},
        {"anho": 2024, "mes": 2, "dia": 30, "hora": 1},
        {"anho": "x", "mes": 1, "dia": 1},
        {"anho": 2024, "mes": 1, "dia": 1, "hora": 24},
    ):
        with pytest.raises(BadRequest):
            hour_of_body(bad)


def test_other_methods() -> None:
    svc = service(clock=datetime(2026, 10, 4, 10, 30))
    assert svc.hora_server() == [{"FECHA": "04/10/2026 10:30"}]
    assert svc.clientes_regional({"region": "Valparaiso"}) == [
        {"CLIENTES": load_master().regions[5].clientes, "REGION_ID": 5}
    ]
    assert svc.clientes_regional({"region": "Región de Valparaíso"})[0]["REGION_ID"] == 5
    assert svc.clientes_regional({"region": "Narnia"}) == []
    assert svc.clientes_nacional() == [{"CLIENTES": load_master().national_clientes}]
    series = svc.series()
    assert len(series) == 7 * 24
    assert all(tuple(p) == ("anho", "mes", "dia", "hora", "clientes_afectados") for p in series)
    newest = series[-1]
    assert (newest["dia"], newest["hora"]) == (4, 10)
    moments = [datetime(p["anho"], p["mes"], p["dia"], p["hora"]) for p in series]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(moments))
    assert newest["clientes_afectados"] == total(svc.por_fecha(hour_index(moments[-1])))

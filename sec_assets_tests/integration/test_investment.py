"""The SEIA load and the three investment payloads on a small crafted silver whose right
answers are worked out by hand, on both engines.

History: 25 months, 2022-01 … 2024-01 (761 days), every month in the ledger (its first and
last hours, 'ok').
Customers: Biobío 1000 a month (2000 in 2022-07), Valparaíso 500, Metropolitana 4000 (2022-05
missing), Ñuble 300. Episodes (customer-hours): Biobío 1200 in 2022-03, 1200 in 2022-07, 9999
in 2023-01, 1200 in 2023-06; Valparaíso 250 in 2022-09; Metropolitana 8000 in 2023-03.

Project A (Biobío, operation 2023-01): before = (1200/1000 + 1200/2000) / 12 months = 0.15
h/customer a month, after = 1200/1000 / 12 = 0.1 (2023-01 itself, with its 9999, is in neither
window), so delta = (0.1 - 0.15) / 0.15 = -33.33 %. Every month passed its checks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from sec_assets.gold.coverage import data_coverage
from sec_assets.gold.investment import (
    eda_projects_dist,
    investment_roi,
    investment_roi_omitted,
    investment_validation,
    investment_validation_omitted,
)
from sec_assets.gold.payloads import validate_payload
from sec_assets.month import Month
from sec_assets.silver.checks import CHECKS
from sec_assets.silver.load import load_dimension
from sec_assets.silver.seia import load_seia
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration.test_warehouse_support import ENGINES

HEADER = (
    "Nombre,Tipo,Región,Tipología,Titular,Inversión (MMU$),Fecha Presentación,"
    "Fecha Calificación,Estado,Sector Productivo"
)
PROJECTS = [  # the rows of a SEIA export, as the real one writes them
    'Parque Eólico Alfa,EIA,Región del Biobío,c,T,"100,5",10/01/2021,15/01/2023,Aprobado,Energía',
    "Subestación Beta,DIA,Biobío,b2,T,20,01/02/2023,20/10/2023,Aprobado,Energía",
    'Parque Fotovoltaico Gamma,DIA,Región de Valparaíso,c,T,"30,0",10/06/2022,,Aprobado,Energía',
    "Línea de Transmisión Delta,EIA,Interregional,b1,T,500,01/03/2020,01/03/2021,Aprobado,Energía",
    "Parque Eólico Épsilon,EIA,Región del Biobío,c,T,80,05/05/2021,05/05/2022,Rechazado,Energía",
    "Parque Fotovoltaico Zeta,DIA,Región de Valparaíso,c,T,10,01/01/2023,,En Calificación,Energía",
    "Subestación Eta,DIA,Región Metropolitana de Santiago,b2,T,40,01/12/2022,15/01/2023,Aprobado,"
    "Energía",
    "Parque Eólico Theta,DIA,Región de Narnia,c,T,5,01/01/2022,01/06/2022,Aprobado,Energía",
    'Parque Fotovoltaico Kappa,DIA,Región de Ñuble,c,T,"12,0",01/06/2022,20/01/2023,Aprobado,'
    "Energía",
    "Condominio Iota,DIA,Región del Biobío,h1,T,50,01/01/2022,01/06/2022,Aprobado,Inmobiliarios",
]
MONTHS = [m.label for m in Month.range(Month(2022, 1), 25)]
A_YEAR = 365.25 / 761  # the investment ratio's customers a year, per customer of the history
CUSTOMERS = {8: 1000, 5: 500, 13: 4000, 16: 300}
EVENTS = [  # id, geografia_id, first hour, peak customers, customer-hours
    ("b1", 8101, datetime(2022, 3, 10, 10), 300, 1200.0),
    ("b2", 8101, datetime(2022, 7, 5, 8), 400, 1200.0),
    ("b3", 8101, datetime(2023, 1, 20, 0), 5000, 9999.0),
    ("b4", 8101, datetime(2023, 6, 15, 12), 100, 1200.0),
    ("v1", 5101, datetime(2022, 9, 1, 0), 50, 250.0),
    ("m1", 13101, datetime(2023, 3, 1, 0), 1000, 8000.0),
]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def month_hours(month: str) -> list[datetime]:
    """The month's first hour and its last (23:00 of its last day)."""
    first, following = Month.parse(month).local_start, Month.parse(month).next().local_start
    return [first, following - timedelta(hours=1)]


def ledger() -> pl.DataFrame:
    starts = [h for m in MONTHS for h in month_hours(m)]
    return pl.DataFrame(
        {
            "hour_key": [s.strftime("%Y-%m-%dT%H") for s in starts],
            "month": [Month.containing(s).label for s in starts],
            "hora_local": starts,
            "hora_utc": [s + timedelta(hours=3) for s in starts],
            "tiempo_id": [int(s.strftime("%Y%m%d")) for s in starts],
            "status": "ok",
            "era": "current",
            "fingerprint": "f",
            "rows_raw": 0,
            "rows_loaded": 0,
            "comunas": 0,
            "customers": 0,
            "versions": 1,
            "attempts": 1,
        }
    ).with_columns(pl.col("hora_utc").dt.replace_time_zone("UTC"))


def region_customers() -> pl.DataFrame:
    rows = [
        (m, region, 2000 if (region, m) == (8, "2022-07") else clientes)
        for m in MONTHS
        for region, clientes in CUSTOMERS.items()
        if (region, m) != (13, "2022-05")
    ]
    return pl.DataFrame(
        rows, schema=["month", "cut_region", "customers"], orient="row"
    ).with_columns(pl.lit("seed").alias("source"))


def fact_eventos() -> pl.DataFrame:
    rows = []
    for eid, geo, start, peak, ch in EVENTS:
        end = start + timedelta(hours=2)
        rows.append(
            {
                "evento_id": eid,
                "geografia_id": geo,
                "empresa_id": "no_informada",
                "month": Month.containing(start).label,
                "first_hour": start,
                "last_hour": end,
                "start_lower": start,
                "start_upper": start,
                "end_lower": end + timedelta(hours=1),
                "end_upper": end + timedelta(hours=1),
                "peak_customers": peak,
                "customer_hours": ch,
                "snapshots": 3,
                "gap_hours": 0,
                "censored_start": False,
                "censored_end": False,
                "tiempo_id": int(start.strftime("%Y%m%d")),
            }
        )
    return pl.DataFrame(rows)


@pytest.fixture(params=ENGINES)
def inv_wh(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    wh: Warehouse = (
        PostgresWarehouse(request.getfixturevalue("pg_database"))
        if request.param == "postgres"
        else DuckDBWarehouse(tmp_path / "w.duckdb")
    )
    wh.ensure_schema()
    for name in ("dim_geografia", "dim_empresa", "dim_tiempo"):
        load_dimension(wh, name)
    events = fact_eventos()
    wh.replace_many(
        [
            ReplaceStep("region_customers", region_customers(), delete_in=("month", MONTHS)),
            ReplaceStep("snapshot_ledger", ledger(), delete_in=("month", MONTHS)),
            ReplaceStep(
                "fact_eventos", events, delete_in=("evento_id", events["evento_id"].to_list())
            ),
        ]
    )
    load_seia(wh, write_csv(tmp_path / "seia.csv", PROJECTS))
    checks_passed(wh, MONTHS)
    return wh


def checks_passed(wh: Warehouse, months: list[str]) -> None:
    """Every check of every month passed (what check_results records in silver.month_checks)."""
    frame = pl.DataFrame(
        [
            (m, c.name, c.asset, c.blocking, True, 0, datetime(2024, 2, 1, tzinfo=UTC))
            for m in months
            for c in CHECKS
        ],
        schema={
            "month": pl.String,
            "check_name": pl.String,
            "asset": pl.String,
            "blocking": pl.Boolean,
            "passed": pl.Boolean,
            "failing_rows": pl.Int64,
            "evaluated_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    wh.replace_many([ReplaceStep("month_checks", frame, delete_in=("month", months))])


def test_load_seia_replaces_the_whole_table(inv_wh: Warehouse, tmp_path: Path) -> None:
    stored = inv_wh.read("SELECT project, cut_region, operation_proxy FROM silver.seia_projects")
    assert stored.height == 9  # the Inmobiliarios project is not energy
    gamma = stored.filter(pl.col("project") == "Parque Fotovoltaico Gamma")
    assert gamma.row(0) == ("Parque Fotovoltaico Gamma", 5, date(2022, 6, 10))  # no calificación

    result = load_seia(inv_wh, write_csv(tmp_path / "fewer.csv", PROJECTS[:2]))
    after = inv_wh.read("SELECT project FROM silver.seia_projects ORDER BY project")
    assert after["project"].to_list() == ["Parque Eólico Alfa", "Subestación Beta"]
    assert result.frame.height == 2
    load_seia(inv_wh, write_csv(tmp_path / "again.csv", PROJECTS[:2]))  # idempotent
    assert inv_wh.read("SELECT COUNT(*) AS n FROM silver.seia_projects")["n"].item() == 2


def test_eda_projects_dist(inv_wh: Warehouse) -> None:
    frame = eda_projects_dist(inv_wh)
    validate_payload("eda_projects_dist", frame)
    assert frame.columns == ["nombre_region", "count"]
    assert frame.rows() == [
        ("BIOBIO", 3),  # Alfa, Beta, Épsilon (rejected, still a project)
        ("VALPARAISO", 2),
        ("INTERREGIONAL", 1),
        ("METROPOLITANA", 1),
        ("NUBLE", 1),
        ("REGION NO RESUELTA", 1),
    ]


def test_investment_roi(inv_wh: Warehouse) -> None:
    frame = investment_roi(inv_wh)
    rows = validate_payload("investment_roi", frame)
    assert frame.columns == [
        "nombre_region",
        "clientes_afectados",
        "total_inversión_mmu",
        "efficiency_ratio",
        "maturity_note",
    ]
    assert rows[0]["total_inversión_mmu"] == pytest.approx(120.5)
    by_region = {r[0]: r[1:] for r in frame.rows()}
    assert frame["nombre_region"].to_list() == ["BIOBIO", "METROPOLITANA", "VALPARAISO", "NUBLE"]
    biobio = by_region["BIOBIO"]
    # 5800 customers affected in 761 days: 2784 a year. Alfa + Beta; Épsilon was rejected.
    assert biobio[:2] == (round(5800 * A_YEAR), pytest.approx(120.5))
    # customers affected a year per million USD: 5800 a 761 days / 120.5
    assert biobio[2] == pytest.approx(5800 * A_YEAR / 120.5, abs=1e-4)
    assert biobio[3] == (
        "1 of 2 approved project(s) entered operation ≥ 12 months before the end of the outage "
        "history (2024-01), 1 too recent to evaluate; 1 with 12 months of history on each side "
        "(history 2022-01 to 2024-01); customers affected a year from 761 days of 25 checked "
        "month(s)"
    )
    assert by_region["VALPARAISO"][:3] == (
        round(50 * A_YEAR),
        pytest.approx(30.0),
        pytest.approx(50 * A_YEAR / 30, abs=1e-4),
    )
    assert by_region["VALPARAISO"][3].endswith(
        "0 with 12 months of history on each side (history 2022-01 to 2024-01); customers "
        "affected a year from 761 days of 25 checked month(s)"
    )
    assert by_region["METROPOLITANA"][:3] == (
        round(1000 * A_YEAR),
        pytest.approx(40.0),
        pytest.approx(1000 * A_YEAR / 40, abs=1e-4),
    )
    assert by_region["NUBLE"][:3] == (0, pytest.approx(12.0), 0.0)  # truly none affected
    omitted = dict(investment_roi_omitted(inv_wh))
    assert len(omitted) == 12 and "ATACAMA" in omitted
    assert omitted["ATACAMA"].startswith("no approved energy investment")


def test_investment_validation(inv_wh: Warehouse) -> None:
    frame = investment_validation(inv_wh)
    validate_payload("investment_validation", frame)
    assert frame.columns == ["project", "year", "type", "delta", "context"]
    got = {r[0]: r[1:] for r in frame.rows()}
    assert frame["project"].to_list() == ["Parque Eólico Alfa", "Subestación Beta"]
    assert got["Parque Eólico Alfa"] == (
        2023,
        "c",
        -33.33,
        "Biobío: 0.150 → 0.100 outage h/customer a month (mean of the covered months); "
        "12/12 months before and 12/12 after 2023-01 covered by checked history",
    )
    # Beta (2023-10): after covers 2023-11 … 2024-01 only, and says so.
    beta = got["Subestación Beta"]
    assert beta[2] == -100.0
    assert "12/12 months before and 3/12 after 2023-10" in beta[3]
    omitted = dict(investment_validation_omitted(inv_wh))
    assert set(omitted) == {
        "Línea de Transmisión Delta (2021)",
        "Parque Eólico Theta (2022)",
        "Parque Fotovoltaico Gamma (2022)",
        "Subestación Eta (2023)",
        "Parque Fotovoltaico Kappa (2023)",
    }
    assert omitted["Línea de Transmisión Delta (2021)"].startswith("Interregional project")
    assert "'Región de Narnia' not resolved" in omitted["Parque Eólico Theta (2022)"]
    assert omitted["Parque Fotovoltaico Gamma (2022)"].endswith(
        "no outage hours before, so no % change"
    )
    assert "11/12 months before" in omitted["Subestación Eta (2023)"]  # no customers for 2022-05
    assert omitted["Parque Fotovoltaico Kappa (2023)"].startswith("Ñuble: 0.000 → 0.000")
    # data_coverage lists every row left out, with the reason.
    coverage = validate_payload("data_coverage", data_coverage(inv_wh))
    listed = {(r["scope"], r["key"]): r["reason"] for r in coverage if r["scope"] != "month"}
    assert (
        listed[("investment_validation", "Parque Eólico Theta (2022)")]
        == omitted["Parque Eólico Theta (2022)"]
    )
    assert ("investment_roi", "ATACAMA") in listed
    months = [r for r in coverage if r["scope"] == "month"]
    assert len(months) == 25 and all(r["included"] for r in months)


def test_a_month_with_too_few_valid_hours_leaves_the_window(inv_wh: Warehouse) -> None:
    inv_wh.execute("UPDATE silver.snapshot_ledger SET status = 'failed' WHERE month = '2023-05'")
    got = {r[0]: r[1:] for r in investment_validation(inv_wh).rows()}
    assert got["Parque Eólico Alfa"][2] == pytest.approx(round(100 * (1.2 / 11 / 0.15 - 1), 2))
    assert "12/12 months before and 11/12 after 2023-01" in got["Parque Eólico Alfa"][3]


def test_payloads_on_an_empty_silver(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "empty.duckdb")
    wh.ensure_schema()
    load_dimension(wh, "dim_geografia")
    assert eda_projects_dist(wh).is_empty()
    assert investment_validation(wh).is_empty()
    roi = investment_roi(wh)
    validate_payload("investment_roi", roi)
    assert roi.is_empty()  # no ratio can be computed: every region is left out, with a reason
    assert len(investment_roi_omitted(wh)) == 16

"""Reading the SEIA project list: amounts, dates, regions, the energy filter and the counts of
what could not be read, on the shipped sample and on crafted rows."""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from pathlib import Path

import polars as pl
import pytest

from sec_assets.silver.seia import (
    SeiaFormatError,
    decimal_mark,
    parse_amount,
    parse_date,
    read_seia,
)

SAMPLE = Path(str(files("sec_assets") / "seeds" / "seia_sample.csv"))
HEADER = (
    "Nombre,Tipo,Región,Tipología,Titular,Inversión (MMU$),Fecha Presentación,"
    "Fecha Calificación,Estado,Sector Productivo"
)


@pytest.mark.parametrize(
    ("text", "decimal", "expected", "rule"),
    [
        ("12,5", ",", 12.5, "decimal comma"),
        ("12.5", ",", 12.5, "one dot not followed by three digits is a decimal point"),
        ("0,8000", ",", 0.8, "the SEIA's four decimals"),
        ("1.234,5", ",", 1234.5, "dot thousands, comma decimal"),
        ("1,234.5", ".", 1234.5, "comma thousands, dot decimal"),
        ("1.480,0", ".", 1480.0, "both separators: the last one is the decimal mark"),
        ("1.234", ",", 1234.0, "ambiguous: a decimal-comma file reads the dot as thousands"),
        ("1.234", ".", 1.234, "ambiguous: a decimal-dot file reads it as a decimal"),
        ("1,234", ",", 1.234, "ambiguous: a decimal-comma file reads the comma as decimal"),
        ("1.234.567", ",", 1234567.0, "repeated dots are thousands"),
        ("  250 ", ",", 250.0, "spaces are ignored"),
        ("US$ 30,5", ",", 30.5, "a currency label is ignored"),
        ("", ",", None, "empty"),
        (None, ",", None, "missing"),
        ("n/a", ",", None, "not a number"),
        ("-5", ",", None, "negative"),
        ("1.2.3,4", ",", None, "thousands groups not of three digits"),
        ("12,5,6", ".", None, "commas that are neither decimal nor thousands"),
    ],
)
def test_parse_amount(text: str | None, decimal: str, expected: float | None, rule: str) -> None:
    assert parse_amount(text, decimal) == (pytest.approx(expected) if expected else None), rule


def test_decimal_mark_is_voted_by_the_unambiguous_values() -> None:
    assert decimal_mark(["12,5", "1.234", "3"]) == ","
    assert decimal_mark(["12.5", "0.75", "1,234"]) == "."
    assert decimal_mark(["1.234", "7", None]) == ","  # no vote: the Chilean export's comma


@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        ("14/03/2017", date(2017, 3, 14), "the SEIA's dd/mm/yyyy"),
        ("14-03-2017", date(2017, 3, 14), "dd-mm-yyyy"),
        ("2017-03-14", date(2017, 3, 14), "ISO"),
        ("14/03/2017 10:31", date(2017, 3, 14), "a time is ignored"),
        ("2017-03-14T10:31:00", date(2017, 3, 14), "an ISO time is ignored"),
        ("31/02/2020", None, "no such day"),
        ("03/14/2017", None, "month first is refused"),
        ("14/03/17", None, "two-digit year"),
        ("01/01/1900", None, "outside 1990-2100"),
        ("", None, "empty"),
        (None, None, "missing"),
    ],
)
def test_parse_date(text: str | None, expected: date | None, rule: str) -> None:
    assert parse_date(text) == expected, rule


def test_the_sample_reads_whole() -> None:
    result = read_seia(SAMPLE)
    assert (result.rows_read, result.energy_rows, result.frame.height) == (50, 40, 40)
    assert (result.interregional, result.unresolved_region) == (2, 0)
    assert (result.unparsable_investment, result.unparsable_date, result.duplicate_rows) == (
        0,
        0,
        0,
    )
    assert result.problems.is_empty()
    frame = result.frame
    assert frame.schema["cut_region"] == pl.Int32
    assert frame.schema["investment_mmusd"] == pl.Float64
    assert frame.schema["presented"] == pl.Date
    assert frame.schema["year"] == pl.Int32
    assert set(frame["cut_region"].drop_nulls()) == set(range(1, 17))  # every region, long names
    assert frame["project_id"].is_unique().all()
    assert frame["year"].min() == 2016 and frame["year"].max() == 2025
    assert set(frame["tipo"]) == {"DIA", "EIA"}
    approved = frame.filter(pl.col("status") == "Aprobado")
    assert approved["operation_proxy"].null_count() == 0
    assert frame.filter(pl.col("status") != "Aprobado")["operation_proxy"].null_count() == 18
    kimal = frame.filter(pl.col("project").str.contains("Kimal"))
    assert kimal.select("investment_mmusd", "interregional", "cut_region").row(0) == (
        1480.0,
        True,
        None,
    )


def write(
    tmp_path: Path, lines: list[str], *, encoding: str = "utf-8", name: str = "x.csv"
) -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_crafted_rows_are_counted_not_dropped(tmp_path: Path) -> None:
    rows = [
        'Parque Eólico Uno,DIA,Región del Biobío,c,T,"12,5",14/03/2017,22/08/2018,Aprobado,Energía',
        "Subestación Dos,DIA,Región Metropolitana de Santiago,b2,T,7.25,2018-01-02,,Aprobado,"
        "Energía",
        "Línea Tres,EIA,Región de Aysén del General Carlos Ibáñez del Campo,b1,T,40,"
        "01/02/2019,,En Calificación,Energía",
        "Parque Fotovoltaico Cuatro,DIA,Interregional,c,T,99,05/05/2020,,Aprobado,Energía",
        "Parque Eólico Cinco,DIA,Región de Narnia,c,T,3,05/05/2020,,Rechazado,Energía",
        "Parque Eólico Seis,DIA,Región del Maule,c,T,mucho,31/02/2020,,Aprobado,Energía",
        "Parque Eólico Siete,DIA,Región del Maule,c,T,,01/01/2021,32/13/2021,Aprobado,Energía",
        'Mina Ocho,EIA,Región de Antofagasta,i1,T,"900,0",01/01/2021,,Aprobado,Minería',
        'Parque Eólico Uno,DIA,Biobío,c,T,"12,5",14/03/2017,,Aprobado,Energía',
    ]
    result = read_seia(write(tmp_path, [HEADER, *rows]))
    assert (result.rows_read, result.energy_rows) == (9, 8)  # Mina Ocho is Minería
    assert result.interregional == 1  # Cuatro
    assert result.unresolved_region == 1  # Cinco
    assert result.unparsable_investment == 2  # Seis ('mucho'), Siete (empty)
    assert result.unparsable_date == 2  # Seis (31/02 presented), Siete (32/13 calificación)
    assert result.duplicate_rows == 1  # the second Uno: same name and presentation date
    assert result.frame.height == 7  # the bad rows are kept, with NULLs
    by_name = {r["project"]: r for r in result.frame.iter_rows(named=True)}
    assert by_name["Parque Eólico Uno"]["investment_mmusd"] == 12.5
    assert by_name["Parque Eólico Uno"]["operation_proxy"] == date(2018, 8, 22)  # calificación
    assert by_name["Subestación Dos"]["operation_proxy"] == date(2018, 1, 2)  # presentation
    assert by_name["Subestación Dos"]["cut_region"] == 13
    assert by_name["Línea Tres"]["cut_region"] == 11
    assert by_name["Línea Tres"]["operation_proxy"] is None  # not approved
    assert by_name["Parque Eólico Seis"]["presented"] is None
    assert by_name["Parque Eólico Seis"]["year"] is None
    assert by_name["Parque Eólico Siete"]["qualified"] is None
    assert by_name["Parque Eólico Siete"]["operation_proxy"] == date(2021, 1, 1)
    problems = result.problems.select("line", "field", "value").rows()
    assert problems == [
        (6, "region", "Región de Narnia"),
        (7, "investment", "mucho"),
        (7, "presented", "31/02/2020"),
        (8, "investment", None),
        (8, "qualified", "32/13/2021"),
        (10, "duplicate", by_name["Parque Eólico Uno"]["project_id"]),
    ]


def test_semicolons_windows_1252_and_api_headers(tmp_path: Path) -> None:
    lines = [
        "EXPEDIENTE_NOMBRE;TIPO_PROYECTO;REGION_NOMBRE;DESCRIPCION_TIPOLOGIA;INVERSION_MM;"
        "FECHA_PRESENTACION_FORMAT;ESTADO_PROYECTO",
        "Central Hidroeléctrica Ñuble Alto;Estudio de Impacto Ambiental;Región de Ñuble;"
        "Centrales generadoras de energía mayores a 3 MW;1.234,5;03/03/2016;APROBADO",
        "Línea 2x220 kV;DIA;XIII;b1;15,0;04/04/2018;en calificación",
        "Loteo Habitacional;DIA;Región del Maule;h1;2,0;04/04/2018;Aprobado",
    ]
    result = read_seia(write(tmp_path, lines, encoding="cp1252"))
    assert (result.rows_read, result.energy_rows) == (3, 2)  # by tipología: no sector column
    rows = result.frame.select(
        "project", "tipo", "cut_region", "investment_mmusd", "status", "operation_proxy"
    ).rows()
    assert rows == [
        ("Central Hidroeléctrica Ñuble Alto", "EIA", 16, 1234.5, "Aprobado", date(2016, 3, 3)),
        ("Línea 2x220 kV", "DIA", 13, 15.0, "En Calificación", None),
    ]


def test_a_missing_column_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, ["Nombre,Región,Estado,Sector Productivo", "A,Biobío,Aprobado,Energía"])
    with pytest.raises(SeiaFormatError, match=r"investment.*presented"):
        read_seia(path)

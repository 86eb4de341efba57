"""The three dimensions, built from the seed files (and the calendar), each with UNKNOWN members."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sec_assets.masterdata import seed
from sec_assets.month import Month
from sec_assets.silver.names import NO_EMPRESA, UNKNOWN_EMPRESA, UNKNOWN_GEOGRAFIA

if TYPE_CHECKING:
    import polars as pl

SEED_VERSION = "2026.11"  # sec_assets/seeds/README.md
# dim_tiempo runs from the history's first day through the end of the year this many years
# after the current one, whenever it is built: a month never outruns its calendar.
CALENDAR_MARGIN_YEARS = 5


def calendar_bounds(today: date | None = None) -> tuple[date, date]:
    """The first and last day of ``dim_tiempo``, built on ``today`` (Chile's date when None)."""
    year = (today or Month.at().start).year
    return Month.history_start().start, date(year + CALENDAR_MARGIN_YEARS, 12, 31)


def dim_geografia() -> pl.DataFrame:
    import polars as pl

    comunas = seed("comunas")
    regions = seed("regions").select("cut_region", "nombre_region")
    principal = (
        seed("comuna_empresa")
        .sort(["cut_comuna", "share", "empresa_id"], descending=[False, True, False])
        .unique("cut_comuna", keep="first")
        .select("cut_comuna", pl.col("empresa_id").alias("empresa_principal"))
    )
    known = (
        comunas.join(regions, on="cut_region")
        .join(principal, on="cut_comuna", how="left")
        .select(
            pl.col("cut_comuna").cast(pl.Int32).alias("geografia_id"),
            "cut_comuna",
            "nombre_comuna",
            "cut_provincia",
            "cut_region",
            "nombre_region",
            pl.col("poblacion").cast(pl.Int64),
            "empresa_principal",
            pl.lit(False).alias("is_unknown"),
        )
    )
    per_region = regions.select(
        (pl.col("cut_region") * 1000 + 999).cast(pl.Int32).alias("geografia_id"),
        pl.format("{}999", pl.col("cut_region").cast(pl.Utf8).str.zfill(2)).alias("cut_comuna"),
        pl.lit("UNKNOWN").alias("nombre_comuna"),
        pl.format("{}9", pl.col("cut_region").cast(pl.Utf8).str.zfill(2)).alias("cut_provincia"),
        "cut_region",
        "nombre_region",
        pl.lit(None, pl.Int64).alias("poblacion"),
        pl.lit(None, pl.Utf8).alias("empresa_principal"),
        pl.lit(True).alias("is_unknown"),
    )
    unknown = pl.DataFrame(
        {
            "geografia_id": [UNKNOWN_GEOGRAFIA],
            "cut_comuna": ["00000"],
            "nombre_comuna": ["UNKNOWN"],
            "cut_provincia": ["000"],
            "cut_region": [0],
            "nombre_region": ["UNKNOWN"],
            "poblacion": [None],
            "empresa_principal": [None],
            "is_unknown": [True],
        },
        schema=known.schema,
    )
    return (
        pl.concat([unknown, known, per_region])
        .with_columns(pl.lit(SEED_VERSION).alias("seed_version"))
        .sort("geografia_id")
    )


def dim_empresa() -> pl.DataFrame:
    import polars as pl

    empresas = seed("empresas").select(
        "empresa_id", "nombre_empresa", "nombre_oficial", pl.lit(False).alias("is_unknown")
    )
    special = pl.DataFrame(
        {
            "empresa_id": [UNKNOWN_EMPRESA, NO_EMPRESA],
            "nombre_empresa": ["UNKNOWN", "NO INFORMADA"],
            "nombre_oficial": [
                "Named by the service but not resolved",
                "Not reported by the payload era (current 3-field answers)",
            ],
            "is_unknown": [True, True],
        }
    )
    return pl.concat([special, empresas]).with_columns(pl.lit(SEED_VERSION).alias("seed_version"))


def dim_tiempo(*, today: date | None = None) -> pl.DataFrame:
    """One row per day of :func:`calendar_bounds`, plus the UNKNOWN member (0)."""
    import polars as pl

    first, last = calendar_bounds(today)
    days = pl.date_range(first, last, "1d", eager=True).alias("fecha")
    frame = pl.DataFrame(days).with_columns(
        pl.col("fecha").dt.strftime("%Y%m%d").cast(pl.Int32).alias("tiempo_id"),
        pl.col("fecha").dt.year().cast(pl.Int32).alias("anho"),
        pl.col("fecha").dt.quarter().cast(pl.Int32).alias("trimestre"),
        pl.col("fecha").dt.month().cast(pl.Int32).alias("mes"),
        pl.col("fecha").dt.day().cast(pl.Int32).alias("dia"),
        pl.col("fecha").dt.weekday().cast(pl.Int32).alias("dia_semana"),
        (pl.col("fecha").dt.weekday() >= 6).alias("es_fin_de_semana"),
        pl.lit(False).alias("is_unknown"),
    )
    unknown = pl.DataFrame(
        {
            "fecha": [date(1900, 1, 1)],
            "tiempo_id": [0],
            "anho": [0],
            "trimestre": [0],
            "mes": [0],
            "dia": [0],
            "dia_semana": [0],
            "es_fin_de_semana": [False],
            "is_unknown": [True],
        },
        schema=frame.schema,
    )
    return pl.concat([unknown, frame]).select(
        "tiempo_id",
        "fecha",
        "anho",
        "trimestre",
        "mes",
        "dia",
        "dia_semana",
        "es_fin_de_semana",
        "is_unknown",
    )

"""Shared fixtures and frame builders of the warehouse tests (no tests here).

``warehouse`` is parametrized over both engines: DuckDB on ``tmp_path`` (copied from a file
built once) and Postgres on a throwaway database (created once per session like
``pg_database``, its schemas dropped and re-ensured for each test). Frames are shaped like the
silver contracts.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from sec_assets.month import Month
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
EMPRESAS = ["cge", "enel", "saesa", "unknown"]


@pytest.fixture(scope="session")
def duckdb_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """DuckDB files built once per session — the bare schema, and it seeded — copied per test
    (a closed DuckDB file is checkpointed: a plain copy is a consistent database)."""
    root = tmp_path_factory.mktemp("duckdb_templates")
    DuckDBWarehouse(root / "schema.duckdb").ensure_schema()
    shutil.copyfile(root / "schema.duckdb", root / "seeded.duckdb")
    seed_dims(DuckDBWarehouse(root / "seeded.duckdb"))
    return {"schema": root / "schema.duckdb", "seeded": root / "seeded.duckdb"}


@pytest.fixture(scope="session")
def pg_session_database():
    """One throwaway Postgres database for the warehouse tests of a session (creating one per
    test costs more than the tests); ``make_warehouse`` resets its schemas for each test."""
    from sec_assets_tests.conftest import pg_throwaway_database

    yield from pg_throwaway_database()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def make_warehouse(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, template: str
) -> Warehouse:
    if engine == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        shutil.copyfile(request.getfixturevalue("duckdb_templates")[template], path)
        return DuckDBWarehouse(path, lock_timeout_s=30)
    wh = PostgresWarehouse(request.getfixturevalue("pg_session_database"))
    wh.execute("DROP SCHEMA IF EXISTS silver CASCADE; DROP SCHEMA IF EXISTS gold CASCADE")
    wh.ensure_schema()  # a pristine schema, as in a new database
    if template == "seeded":
        seed_dims(wh)
    return wh


@pytest.fixture
def warehouse(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    """An empty silver schema on ``engine``."""
    return make_warehouse(engine, request, tmp_path, "schema")


@pytest.fixture
def seeded(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    """The schema with its three dimensions loaded (8 comunas, 4 companies, 2023-12..2024-04)."""
    return make_warehouse(engine, request, tmp_path, "seeded")


def geo_ids(n: int) -> list[int]:
    return [13100 + i for i in range(n)]


def dim_tiempo(start: date = date(2023, 12, 1), end: date = date(2024, 4, 30)) -> pl.DataFrame:
    days = pl.date_range(start, end, "1d", eager=True)
    frame = pl.DataFrame({"fecha": days}).with_columns(
        tiempo_id=pl.col("fecha").dt.strftime("%Y%m%d").cast(pl.Int32),
        anho=pl.col("fecha").dt.year().cast(pl.Int32),
        trimestre=pl.col("fecha").dt.quarter().cast(pl.Int32),
        mes=pl.col("fecha").dt.month().cast(pl.Int32),
        dia=pl.col("fecha").dt.day().cast(pl.Int32),
        dia_semana=pl.col("fecha").dt.weekday().cast(pl.Int32),
        es_fin_de_semana=pl.col("fecha").dt.weekday() >= 6,
        is_unknown=pl.lit(False),
    )
    unknown = pl.DataFrame(
        {"fecha": [date(1900, 1, 1)], "tiempo_id": [0], "anho": [1900], "trimestre": [1]}
    ).with_columns(
        pl.col("tiempo_id", "anho", "trimestre").cast(pl.Int32),
        mes=pl.lit(1, pl.Int32),
        dia=pl.lit(1, pl.Int32),
        dia_semana=pl.lit(1, pl.Int32),
        es_fin_de_semana=pl.lit(False),
        is_unknown=pl.lit(True),
    )
    return pl.concat([frame, unknown.select(frame.columns)])


def dim_geografia(n: int = 8) -> pl.DataFrame:
    ids = geo_ids(n)
    return pl.DataFrame(
        {
            "geografia_id": [*ids, 0],
            "cut_comuna": [f"{i:05d}" for i in ids] + ["00000"],
            "nombre_comuna": [f"Comuna {i} O`Higgins ñ" for i in ids] + ["UNKNOWN"],
            "cut_provincia": ["131"] * n + ["000"],
            "cut_region": [13] * n + [0],
            "nombre_region": ["Metropolitana de Santiago"] * n + ["UNKNOWN"],
            "poblacion": [100_000 + i for i in range(n)] + [None],
            "is_unknown": [False] * n + [True],
            "seed_version": ["v1"] * (n + 1),
        }
    )


def dim_empresa() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "empresa_id": EMPRESAS,
            "nombre_empresa": [e.upper() for e in EMPRESAS],
            "nombre_oficial": [f"{e.upper()} S.A." for e in EMPRESAS],
            "is_unknown": [e == "unknown" for e in EMPRESAS],
            "seed_version": ["v1"] * len(EMPRESAS),
        }
    )


def seed_dims(wh: Warehouse, comunas: int = 8) -> None:
    wh.upsert_dimension("dim_tiempo", dim_tiempo(), "tiempo_id")
    wh.upsert_dimension("dim_geografia", dim_geografia(comunas), "geografia_id")
    wh.upsert_dimension("dim_empresa", dim_empresa(), "empresa_id")


def month_hours(month: str) -> pl.Series:
    start, end = Month.parse(month).local_start, Month.parse(month).next().local_start
    return pl.datetime_range(start, end, "1h", closed="left", eager=True, time_unit="us")


def ledger(month: str, *, status: str = "ok", hours: int | None = None) -> pl.DataFrame:
    """One snapshot_ledger row per local hour of ``month`` (or its first ``hours``)."""
    frame = pl.DataFrame({"hora_local": month_hours(month)})
    if hours is not None:
        frame = frame.head(hours)
    return frame.select(
        hour_key=pl.col("hora_local").dt.strftime("%Y-%m-%dT%H"),
        month=pl.lit(month),
        hora_local=pl.col("hora_local"),
        hora_utc=(pl.col("hora_local") + pl.duration(hours=3)).dt.replace_time_zone("UTC"),
        tiempo_id=pl.col("hora_local").dt.strftime("%Y%m%d").cast(pl.Int32),
        status=pl.lit(status),
        era=pl.lit("current"),
        fingerprint=pl.lit("keys:comuna,clientes,region"),
        rows_raw=pl.lit(10, pl.Int32),
        rows_loaded=pl.lit(9, pl.Int32),
        comunas=pl.lit(5, pl.Int32),
        customers=pl.lit(12_345, pl.Int64),
        versions=pl.lit(1, pl.Int32),
        attempts=pl.lit(1, pl.Int32),
        fetched_at=pl.col("hora_local").dt.replace_time_zone("UTC"),
        server_time=pl.col("hora_local"),
        error=pl.lit(None, pl.String),
    )


def facts(month: str, *, hours: int | None = 24, comunas: int = 8, bump: int = 0) -> pl.DataFrame:
    """fact_interrupciones: every (hour, comuna, company) of the month's first ``hours``."""
    hrs = ledger(month, hours=hours).select("hour_key", "hora_local", "tiempo_id")
    geo = pl.DataFrame({"geografia_id": geo_ids(comunas)}, schema={"geografia_id": pl.Int32})
    emp = pl.DataFrame({"empresa_id": EMPRESAS[:3]})
    grid = hrs.join(geo, how="cross").join(emp, how="cross").with_row_index("n")
    return grid.select(
        hash_id=pl.concat_str(
            ["hour_key", pl.col("geografia_id").cast(pl.String), "empresa_id"], separator="|"
        ),
        hour_key="hour_key",
        month=pl.lit(month),
        hora_local="hora_local",
        tiempo_id="tiempo_id",
        geografia_id="geografia_id",
        empresa_id="empresa_id",
        fecha_inicio=pl.col("hora_local") - pl.duration(minutes=90),
        clientes_afectados=(pl.col("n") * 7 % 5000 + bump).cast(pl.Int64),
        fragmentos=pl.lit(1, pl.Int32),
        actualizado_hace_min=pl.lit(None, pl.Int32),
        era=pl.lit("legacy"),
        nombre_region_raw=pl.lit("Región Metropolitana"),
        nombre_comuna_raw=pl.lit('Peñalolén, "alto"'),
        nombre_empresa_raw=pl.lit("ENEL"),
        flag_clientes_missing=pl.lit(False),
        flag_geo_unknown=pl.lit(False),
        flag_empresa_unknown=pl.lit(False),
        flag_fecha_fallback=pl.lit(False),
        flag_capped=pl.col("n") % 11 == 0,
    )


def eventos(month: str, ids: list[str], *, peak: int = 100) -> pl.DataFrame:
    first = Month.parse(month).local_start + timedelta(hours=5)
    n = len(ids)
    return pl.DataFrame(
        {
            "evento_id": ids,
            "geografia_id": [geo_ids(1)[0]] * n,
            "empresa_id": ["enel"] * n,
            "month": [month] * n,
            "first_hour": [first] * n,
            "last_hour": [first + timedelta(hours=3)] * n,
            "start_lower": [first - timedelta(hours=1)] * n,
            "start_upper": [first] * n,
            "end_lower": [first + timedelta(hours=4)] * n,
            "end_upper": [first + timedelta(hours=5)] * n,
            "peak_customers": [peak] * n,
            "customer_hours": [peak * 3.5] * n,
            "snapshots": [4] * n,
            "gap_hours": [0] * n,
            "censored_start": [False] * n,
            "censored_end": [True] * n,
            "tiempo_id": [int(first.strftime("%Y%m%d"))] * n,
        }
    )


def load_month(wh: Warehouse, month: str, **fact_options: object) -> dict[str, int]:
    """Replace ``month`` of the ledger and of the facts, in one transaction."""
    from sec_assets.warehouse import ReplaceStep

    return wh.replace_many(
        [
            ReplaceStep("snapshot_ledger", ledger(month), where={"month": month}),
            ReplaceStep(
                "fact_interrupciones", facts(month, **fact_options), where={"month": month}
            ),  # type: ignore[arg-type]
        ]
    )


def table(wh: Warehouse, name: str, order: str | None = None) -> pl.DataFrame:
    """The whole table, in a stable order (its primary key unless ``order`` says otherwise)."""
    info = wh.tables()[name]
    by = order or ", ".join(info.primary_key or info.columns)
    return wh.read(f"SELECT * FROM silver.{name} ORDER BY {by}")


def month_rows(wh: Warehouse, name: str, month: str) -> int:
    frame = wh.read(f"SELECT count(*) AS n FROM silver.{name} WHERE month = :m", {"m": month})
    return int(frame["n"][0])


# Test modules bind these names to make the fixtures visible to pytest there:
#     engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES
FIXTURES = (engine, duckdb_templates, pg_session_database, warehouse, seeded)

"""The Inefficiency Wall's ratio is per year: on a stationary history (every day alike) it is the
same with 2 months loaded as with 8, through the investment_roi asset (dg.materialize, its
payload file) on both engines. Every day: one episode of 100 customers in Biobío; one approved
project of 50 MMUSD there, so 36,525 customers a year / 50 = 730.5."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from sec_assets.gold import local_files
from sec_assets.gold.assets import payload_assets
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.silver.load import load_dimension
from sec_assets.silver.seia import load_seia
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration.test_investment import (
    PROJECTS,
    checks_passed,
    ledger,
    write_csv,
)
from sec_assets_tests.integration.test_warehouse_support import ENGINES

MONTHS = [f"2023-{m:02d}" for m in range(3, 11)]  # 2023-03 … 2023-10
PER_DAY = 100
[ROI_ASSET] = [a for a in payload_assets if a.key.to_user_string() == "investment_roi"]
pytestmark = pytest.mark.timeout(300)


def days_of(month: str) -> list[datetime]:
    first, following = Month.parse(month).local_start, Month.parse(month).next().local_start
    return [first + timedelta(days=i) for i in range((following - first).days)]


def episodes(month: str) -> pl.DataFrame:
    rows = []
    for day in days_of(month):
        start, end = day.replace(hour=10), day.replace(hour=12)
        rows.append(
            {
                "evento_id": f"b{day:%Y%m%d}",
                "geografia_id": 8101,
                "empresa_id": "no_informada",
                "month": month,
                "first_hour": start,
                "last_hour": end,
                "start_lower": start,
                "start_upper": start,
                "end_lower": end,
                "end_upper": end,
                "peak_customers": PER_DAY,
                "customer_hours": 2.0 * PER_DAY,
                "snapshots": 3,
                "gap_hours": 0,
                "censored_start": False,
                "censored_end": False,
                "tiempo_id": int(f"{day:%Y%m%d}"),
            }
        )
    return pl.DataFrame(rows)


def load_months(wh: Warehouse, months: list[str]) -> None:
    hours = ledger().filter(pl.col("month") == "2022-01")  # two rows: the shape only
    steps = []
    for m in months:
        first, last = days_of(m)[0], days_of(m)[-1].replace(hour=23)
        month_ledger = hours.with_columns(
            pl.Series("hora_local", [first, last]),
            pl.Series("hour_key", [f"{first:%Y-%m-%dT%H}", f"{last:%Y-%m-%dT%H}"]),
            pl.lit(m).alias("month"),
            pl.Series("tiempo_id", [int(f"{first:%Y%m%d}"), int(f"{last:%Y%m%d}")]),
        )
        customers = pl.DataFrame({"month": [m], "cut_region": [8], "customers": [1000]})
        steps += [
            ReplaceStep("snapshot_ledger", month_ledger, where={"month": m}),
            ReplaceStep(
                "region_customers",
                customers.with_columns(pl.lit("seed").alias("source")),
                where={"month": m},
            ),
            ReplaceStep("fact_eventos", episodes(m), where={"month": m}),
        ]
    wh.replace_many(steps)
    checks_passed(wh, months)


def biobio_ratio(data_dir: Path, dsn: str | None) -> dict:
    result = dg.materialize([ROI_ASSET], resources=local_resources(data_dir, pg_dsn=dsn))
    assert result.success
    [row] = [
        r
        for r in local_files.read_payload(data_dir, "investment_roi")
        if r["nombre_region"] == "BIOBIO"
    ]
    return row


@pytest.mark.parametrize("engine", ENGINES)
def test_the_ratio_does_not_grow_with_the_history(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    wh: Warehouse = (
        PostgresWarehouse(dsn) if dsn else DuckDBWarehouse(data_dir / "warehouse.duckdb")
    )
    wh.ensure_schema()
    for name in ("dim_geografia", "dim_empresa", "dim_tiempo"):
        load_dimension(wh, name)
    alfa = PROJECTS[0].replace('"100,5"', "50")  # Parque Eólico Alfa, Biobío, approved
    load_seia(wh, write_csv(tmp_path / "seia.csv", [alfa]))

    load_months(wh, MONTHS[:2])
    short = biobio_ratio(data_dir, dsn)
    load_months(wh, MONTHS[2:])
    long = biobio_ratio(data_dir, dsn)

    a_year = PER_DAY * 365.25
    assert short["efficiency_ratio"] == pytest.approx(a_year / 50, abs=1e-3)
    assert long["efficiency_ratio"] == pytest.approx(short["efficiency_ratio"], abs=1e-3)
    assert short["clientes_afectados"] == long["clientes_afectados"] == round(a_year)
    assert short["maturity_note"].endswith("from 61 days of 2 checked month(s)")
    assert long["maturity_note"].endswith("from 245 days of 8 checked month(s)")

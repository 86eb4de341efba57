"""Gold payloads on a small crafted silver whose right answers are known by hand, on both
engines; golden Parquet and the 30-day view."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from sec_assets.gold import local_files
from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.models import model_sql, run_model
from sec_assets.gold.payloads import PayloadError, validate_payload
from sec_assets.gold.trusted import excluded_months
from sec_assets.month import Month
from sec_assets.silver.checks import CHECKS
from sec_assets.silver.load import DIMENSIONS, load_dimension
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.silver.transform import daily_customers
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets_tests.integration.test_warehouse_support import ENGINES

M = "2024-08"
FLAGS = {
    f"flag_{g}": False
    for g in ("clientes_missing", "geo_unknown", "empresa_unknown", "fecha_fallback", "capped")
}


def ledger() -> pl.DataFrame:
    hours = [10, 11, 12, 13]
    return pl.DataFrame(
        {
            "hour_key": [f"2024-08-02T{h}" for h in hours],
            "month": M,
            "hora_local": [datetime(2024, 8, 2, h) for h in hours],
            "hora_utc": [datetime(2024, 8, 2, h + 4) for h in hours],
            "tiempo_id": 20240802,
            "status": ["ok", "ok", "ok", "failed"],
            "era": ["current", "current", "current", None],
            "fingerprint": "f",
            "rows_raw": [5, 5, 10, 0],
            "rows_loaded": [1, 2, 0, 0],
            "comunas": [1, 2, 0, 0],
            "customers": [100, 150, 0, 0],
            "versions": [1, 2, 1, 0],
            "attempts": [1, 2, 1, 3],
        }
    ).with_columns(pl.col("hora_utc").dt.replace_time_zone("UTC"))


def facts() -> pl.DataFrame:
    rows = [
        ("a", "2024-08-02T10", 10, 13119, 100),
        ("b", "2024-08-02T11", 11, 13119, 100),
        ("c", "2024-08-02T11", 11, 13120, 50),
    ]
    return pl.DataFrame(
        [
            {
                "hash_id": h,
                "hour_key": k,
                "month": M,
                "hora_local": datetime(2024, 8, 2, hr),
                "tiempo_id": 20240802,
                "geografia_id": g,
                "empresa_id": "no_informada",
                "clientes_afectados": c,
                "fragmentos": 1,
                "era": "current",
                **FLAGS,
            }
            for h, k, hr, g, c in rows
        ]
    )


def event(eid: str, geo: int, start: datetime, hours: int, peak: int, ch: float) -> dict:
    end = start.replace(hour=start.hour + hours - 1)
    return {
        "evento_id": eid,
        "geografia_id": geo,
        "empresa_id": "no_informada",
        "month": M,
        "first_hour": start,
        "last_hour": end,
        "start_lower": start,
        "start_upper": start,
        "end_lower": end,
        "end_upper": end,
        "peak_customers": peak,
        "customer_hours": ch,
        "snapshots": hours,
        "gap_hours": 0,
        "censored_start": False,
        "censored_end": False,
        "tiempo_id": int(start.strftime("%Y%m%d")),
    }


EVENTS = pl.DataFrame(
    [
        event("e1", 13119, datetime(2024, 8, 2, 10), 2, 100, 200.0),
        event("e2", 13120, datetime(2024, 8, 2, 11), 1, 50, 50.0),
        event("e3", 5101, datetime(2024, 8, 3, 9), 3, 30, 9000.0),
    ]
)


@pytest.fixture(params=ENGINES)
def gold_wh(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    wh: Warehouse = (
        PostgresWarehouse(request.getfixturevalue("pg_database"))
        if request.param == "postgres"
        else DuckDBWarehouse(tmp_path / "w.duckdb")
    )
    return crafted_silver(wh)


def crafted_silver(wh: Warehouse) -> Warehouse:
    """``wh`` with the crafted month ``M`` loaded and its checks passed."""
    wh.ensure_schema()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    customers = pl.DataFrame(
        {"month": M, "cut_region": [5, 13], "customers": [500, 1000], "source": "sec"}
    )
    # What the month's load caps by and gold divides by: the SEC's counts of the month itself.
    caps = customers.with_columns(pl.lit(M).alias("as_of")).select(
        "month", "cut_region", "customers", "as_of", "source"
    )
    guard = pl.DataFrame(
        {
            "month": M,
            "guardrail": ["clientes_missing", "quarantined"],
            "rows": [2, 0],
            "customers": [0, 0],
        }
    )
    wh.replace_many(
        [
            ReplaceStep("region_customers", customers, where={"month": M}),
            ReplaceStep("customer_caps", caps, where={"month": M}),
            ReplaceStep("snapshot_ledger", ledger(), where={"month": M}),
            ReplaceStep("fact_interrupciones", facts(), where={"month": M}),
            ReplaceStep(
                "comuna_daily_customers", daily_customers(facts(), ledger()), where={"month": M}
            ),
            ReplaceStep("guardrail_counts", guard, where={"month": M}),
            ReplaceStep("fact_eventos", EVENTS, where={"month": M}),
            ReplaceStep("month_cadence", CADENCE, where={"month": M}),
        ]
    )
    pass_checks(wh, M)
    return wh


CADENCE = pl.DataFrame(
    {
        "month": [M],
        "source": ["fetched"],
        "hours_per_day": [24],
        "hours_represented": [1.0],
        "days": [1],
        "hours": [4],
    }
)


def pass_checks(wh: Warehouse, month: str, failing: tuple[str, ...] = ()) -> None:
    """Record every check's verdict on ``month`` (as check_results does): all pass but
    ``failing``."""
    for asset in {c.asset for c in CHECKS}:
        verdicts: list[dict[str, object]] = [
            {
                "month": month,
                "check_name": c.name,
                "asset": c.asset,
                "blocking": c.blocking,
                "passed": c.name not in failing,
                "failing_rows": 3 if c.name in failing else 0,
            }
            for c in CHECKS
            if c.asset == asset
        ]
        record_verdicts(wh, asset, verdicts)


def payload(wh: Warehouse, pid: str) -> list[dict]:
    return validate_payload(pid, COMPUTE[pid][0](wh))


def test_time_series(gold_wh: Warehouse) -> None:
    assert payload(gold_wh, "time_series") == [
        {"mes": "2024-08-01", "nombre_region": "METROPOLITANA", "afectados": 150},
        {"mes": "2024-08-01", "nombre_region": "VALPARAISO", "afectados": 30},
    ]


def test_company_ranking_attributes_the_main_distributor(gold_wh: Warehouse) -> None:
    assert payload(gold_wh, "company_ranking") == [
        {
            "nombre_empresa": "ENEL",
            "total_eventos": 2,
            "total_clientes_afectados": 150,
            "promedio_afectados": 75.0,
        },
        {
            "nombre_empresa": "CHILQUINTA",
            "total_eventos": 1,
            "total_clientes_afectados": 30,
            "promedio_afectados": 30.0,
        },
    ]


def test_market_map_ranks_customer_hours_per_customer(gold_wh: Warehouse) -> None:
    rows = {r["nombre_comuna"]: r for r in payload(gold_wh, "market_map")}
    assert set(rows) == {"Maipú", "Ñuñoa", "Valparaíso"}
    # Valparaíso: 9000 customer-hours over its share of 500 customers: by far the worst.
    assert rows["Valparaíso"]["instability_index"] == 100.0
    assert {r["instability_index"] for r in rows.values()} == {0.0, 50.0, 100.0}
    assert (rows["Maipú"]["total_afectados"], rows["Maipú"]["frecuencia"]) == (100, 1)
    assert rows["Maipú"]["nombre_empresa"] == "ENEL"


def test_data_coverage_and_quality(gold_wh: Warehouse) -> None:
    assert payload(gold_wh, "data_coverage")[0] == {
        "scope": "month",
        "key": M,
        "included": True,
        "reason": None,
        "hours_expected": 4,
        "ok": 3,
        "empty": 0,
        "failed": 1,
        "degraded": 0,
        "schema_error": 0,
        "wrong_date": 0,
        "missing": 0,
        "revisions_seen": 1,
        "customers_as_of": M,
        "customers_source": "sec",
        "customers_own_month": True,
        "hours_per_day": 24,
        "cadence": "24/day fetched (1 d)",
        "cadence_error": 0.0,
    }
    quality = {r["category"]: r for r in payload(gold_wh, "eda_quality_stats")}
    assert quality["Afectados sin dato (imputado 0)"] == {
        "category": "Afectados sin dato (imputado 0)",
        "count": 2,
        "percentage": 0.1,
    }  # 2 of 20 raw rows
    assert quality["Horas sin respuesta válida"]["percentage"] == 0.25
    assert quality["Horas degradadas (comunas colapsadas)"]["count"] == 0


def test_a_month_failing_a_blocking_check_is_left_out_and_listed(gold_wh: Warehouse) -> None:
    pass_checks(gold_wh, M, failing=("month_coverage_above_threshold",))
    for pid in ("time_series", "market_map", "company_ranking", "reliability_indices"):
        assert payload(gold_wh, pid) == [], pid
    assert run_model(gold_wh, "golden_eventos", {"first_month": M, "last_month": M}).height == 0
    [month] = [r for r in payload(gold_wh, "data_coverage") if r["scope"] == "month"]
    assert month["included"] is False and month["hours_expected"] == 4
    assert "month_coverage_above_threshold (3 rows)" in month["reason"]
    assert excluded_months(gold_wh) == {M: month["reason"]}
    # A month's step asks for its month alone: the same verdict; another month has none.
    assert excluded_months(gold_wh, [M]) == {M: month["reason"]}
    assert excluded_months(gold_wh, ["2024-07"]) == excluded_months(gold_wh, []) == {}
    # A later evaluation that passes brings the month back.
    pass_checks(gold_wh, M)
    assert payload(gold_wh, "time_series") != [] and excluded_months(gold_wh) == {}


def test_a_month_whose_checks_never_ran_is_left_out(gold_wh: Warehouse) -> None:
    gold_wh.execute("DELETE FROM silver.month_checks")
    assert payload(gold_wh, "time_series") == []
    assert "not evaluated" in excluded_months(gold_wh)[M]
    assert "not evaluated" in excluded_months(gold_wh, [M])[M]


def test_reliability_indices(gold_wh: Warehouse) -> None:
    rows = {r["nombre_region"]: r for r in payload(gold_wh, "reliability_indices")}
    metro = rows["Metropolitana"]
    assert (metro["customers"], metro["events"]) == (1000, 2)
    assert metro["frequency_per_1000"] == 150.0  # 150 customers affected per 1,000
    # 250 customer-observations in 3 valid hours, scaled to 24 h: 2,000 h over 1,000 customers.
    assert metro["duration_hours_per_customer"] == 2.0
    assert metro["major_event_days"] == 0 and "force majeure" in metro["label"]


def test_an_invalid_payload_is_refused_with_its_field() -> None:
    bad = pl.DataFrame(
        {"mes": [date(2024, 8, 1)], "nombre_region": ["COQUIMBO"], "afectados": [-1]}
    )
    with pytest.raises(PayloadError, match=r"time_series.*afectados"):
        validate_payload("time_series", bad)


def test_golden_parquet_and_recent_view(gold_wh: Warehouse, tmp_path: Path) -> None:
    frame = run_model(gold_wh, "golden_eventos", {"first_month": M, "last_month": M})
    path = local_files.write_golden_month(tmp_path, Month.parse(M), frame)
    assert path == tmp_path / "gold/parquet/fact_eventos/year=2024/month=08/data.parquet"
    back = pl.read_parquet(path)
    assert back.height == 3 and set(back["nombre_comuna"]) == {"Maipú", "Ñuñoa", "Valparaíso"}
    gold_wh.execute(model_sql("recent_30d"))
    recent = gold_wh.read("SELECT evento_id FROM gold.recent_30d ORDER BY evento_id")
    assert recent["evento_id"].to_list() == ["e1", "e2", "e3"]

"""One absurd value from the service never blocks a month: a month collected over HTTP from the
simulator, with customer counts the service got wrong in several shapes, is materialized
bronze → silver. A count within 0..MAX_CUSTOMERS but above its region's customers is capped and
counted in ``guardrail_counts``; a value that is not a count at all (negative, above
MAX_CUSTOMERS) makes its hour a counted ``schema_error``, quarantined and asked again. Every
blocking check passes and ``fact_eventos`` is built."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sec_assets.resources import local_resources
from sec_sim import FaultRule, SimConfig, run_simulator
from sec_tools.demo import run_selection

MONTH = "2024-07"
PER_DAY = 4  # hours 00, 06, 12, 18
SHAPES = {
    # one comuna of Metropolitana above the region's customers (the hidden scenario)
    "2024-07-03T12": {"Metropolitana|Santiago": 5_000_000},
    # several comunas whose sum is above the region, none alone
    "2024-07-04T06": {"Metropolitana|Maipu": 2_000_000, "Metropolitana|Puente Alto": 2_000_000},
    # a negative count: not a count (schema_error)
    "2024-07-05T18": {"Metropolitana|Santiago": -500},
    # a value above MAX_CUSTOMERS (and the national total): not a count (schema_error)
    "2024-07-06T00": {"Valparaiso|Valparaiso": 50_000_000},
    # above the region's customers, within MAX_CUSTOMERS: capped
    "2024-07-07T06": {"Valparaiso|Valparaiso": 9_000_000},
}
NOT_COUNTS = ("2024-07-05T18", "2024-07-06T00")
ALL = ["dim_geografia", "dim_empresa", "dim_tiempo"]
MONTHLY = ["sec_snapshots", "sec_customers", "region_customers", "snapshot_ledger"]
MONTHLY += ["fact_interrupciones", "fact_eventos"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    data: Path = tmp_path_factory.mktemp("absurd")
    faults = [
        FaultRule(kind="set_customers", hours=[hour], customers=values)
        for hour, values in SHAPES.items()
    ]
    with run_simulator(SimConfig(seed=5, faults=faults)) as sim:
        resources = local_resources(
            data,
            base_url=sim.base_url,
            hours_per_day=PER_DAY,
            max_concurrency=8,
            requests_per_second=2000,
            backoff_initial_s=0.01,
            backoff_max_s=0.02,
        )
        assert run_selection(ALL, resources).success
        result = run_selection(MONTHLY, resources, partition=MONTH)
    return result, resources["warehouse"].get_warehouse()


def test_month_with_absurd_values_passes_its_checks_and_builds_episodes(loaded) -> None:
    result, wh = loaded
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert len(checks) == 9
    blocking_failed = [
        n for n, c in checks.items() if not c.passed and n != "no_degraded_or_empty_hours"
    ]
    assert not blocking_failed, {n: checks[n].description for n in blocking_failed}
    events = wh.read("SELECT COUNT(*) AS n FROM silver.fact_eventos WHERE month = '2024-07'")
    assert events["n"].item() > 0


def test_each_shape_is_capped_or_zeroed_and_counted(loaded) -> None:
    _, wh = loaded
    facts = wh.read(
        """SELECT f.hour_key, g.nombre_comuna, g.cut_region, f.clientes_afectados,
                  f.flag_capped, f.flag_clientes_missing, rc.customers AS region_customers
           FROM silver.fact_interrupciones f
           JOIN silver.dim_geografia g ON g.geografia_id = f.geografia_id
           JOIN silver.region_customers rc ON rc.month = f.month AND rc.cut_region = g.cut_region
           WHERE f.month = '2024-07'"""
    )
    totals = facts.group_by("hour_key", "cut_region").agg(
        pl.col("clientes_afectados").sum(), pl.col("region_customers").first()
    )
    assert (totals["clientes_afectados"] <= totals["region_customers"]).all()

    def row(hour: str, comuna: str) -> dict:
        [found] = facts.filter(
            (pl.col("hour_key") == hour) & (pl.col("nombre_comuna") == comuna)
        ).to_dicts()
        return found

    santiago = row("2024-07-03T12", "Santiago")
    assert santiago["flag_capped"] and 0 < santiago["clientes_afectados"] <= 5_000_000
    for comuna in ("Maipú", "Puente Alto"):
        assert row("2024-07-04T06", comuna)["flag_capped"]
    assert facts.filter(pl.col("hour_key").is_in(NOT_COUNTS)).is_empty()
    national = row("2024-07-07T06", "Valparaíso")
    assert (
        national["flag_capped"] and national["clientes_afectados"] <= national["region_customers"]
    )
    ledger = wh.read("SELECT hour_key, status FROM silver.snapshot_ledger WHERE month = '2024-07'")
    quarantine = wh.read("SELECT hour_key, reason, detail FROM silver.quarantine")
    assert dict(ledger.iter_rows())["2024-07-05T18"] == "schema_error"
    assert dict(ledger.iter_rows())["2024-07-06T00"] == "schema_error"
    details = dict(quarantine.select("hour_key", "detail").iter_rows())
    assert "CLIENTES_AFECTADOS=-500 is outside 0..10,000,000" in details["2024-07-05T18"]
    assert "CLIENTES_AFECTADOS=50000000 is outside" in details["2024-07-06T00"]

    guard = dict(
        wh.read("SELECT guardrail, rows FROM silver.guardrail_counts WHERE month = '2024-07'")
        .select("guardrail", "rows")
        .iter_rows()
    )
    assert guard["capped"] >= 2  # Santiago 5M, Valparaíso 9M
    assert guard["region_total_capped"] >= 2  # Maipú and Puente Alto (and the capped hours)
    assert guard["quarantined"] == 2  # the negative count and the value above MAX_CUSTOMERS


def test_metadata_shows_table_columns_names_and_percent(loaded) -> None:
    result, _ = loaded
    meta = {
        e.asset_key.to_user_string(): e.metadata
        for e in (
            ev.event_specific_data.materialization  # type: ignore[union-attr]
            for ev in result.get_asset_materialization_events()
        )
    }
    facts = meta["fact_interrupciones"]
    assert facts["dagster/table_name"].value == "silver.fact_interrupciones"
    columns = {c.name: c for c in facts["dagster/column_schema"].value.columns}
    assert {"hash_id", "geografia_id", "clientes_afectados", "flag_capped"} <= set(columns)
    assert any(
        "references silver.dim_geografia" in o for o in columns["geografia_id"].constraints.other
    )
    preview = facts["preview"]  # a table with a schema, not markdown
    assert "nombre_comuna" in [c.name for c in preview.schema.columns]
    assert "Santiago" in {r.data["nombre_comuna"] for r in preview.records}
    assert (
        "million" in facts["customer_hours_readable"].value or facts["customer_hours"].value < 1e6
    )
    assert facts["guardrail_region_total_capped"].value >= 2
    ledger = meta["snapshot_ledger"]
    assert ledger["coverage_percent"].value == round(100 * 122 / 124, 2)  # 2 not counts
    assert "dagster/column_schema" in meta["fact_eventos"]
    events_preview = meta["fact_eventos"]["preview"]
    assert "nombre_comuna" in [c.name for c in events_preview.schema.columns]
    assert all(isinstance(r.data["first_hour"], str) for r in events_preview.records)
    snapshots = meta["sec_snapshots"]
    assert snapshots["coverage_percent"].value < 100.0  # the 2 hours fetched again next run
    assert snapshots["size_on_disk"].value.endswith(("KiB", "MiB"))

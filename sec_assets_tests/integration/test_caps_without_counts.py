"""A month with no customer counts of its own is still capped, by counts it names: collected
over HTTP from the simulator with a 5,000,000 in Santiago, July 2024 is materialized without
its ``sec_customers`` (and with no ``region_customers`` rows, or only the seed's estimates).
With June's counts loaded, July is capped by them (``as_of`` 2024-06); with none anywhere, by
the seed's reference counts (``source`` 'seed'). The cap check examines the month's rows
against those very counts and passes because the cap applied; ``data_coverage`` and the asset's
metadata name the counts used. On both engines."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.coverage import data_coverage
from sec_assets.resources import local_resources
from sec_assets.silver.caps import SEED_AS_OF
from sec_assets_tests.integration.test_warehouse_support import ENGINES
from sec_sim import FaultRule, SimConfig, run_simulator
from sec_tools.demo import run_selection

PER_DAY = 4  # hours 00, 06, 12, 18
HOUR = "2024-07-03T12"
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
JULY = ["snapshot_ledger", "fact_interrupciones", "fact_eventos"]
METROPOLITANA = 13


@pytest.fixture(scope="module")
def bronze_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """June's customer counts and July's snapshots (Santiago at 5,000,000 at one hour), over
    HTTP; July's counts are never fetched."""
    data = tmp_path_factory.mktemp("caps")
    faults = [
        FaultRule(
            kind="set_customers", hours=[HOUR], customers={"Metropolitana|Santiago": 5_000_000}
        )
    ]
    with run_simulator(SimConfig(seed=5, faults=faults)) as sim:
        res = local_resources(
            data,
            base_url=sim.base_url,
            hours_per_day=PER_DAY,
            max_concurrency=8,
            requests_per_second=2000,
            backoff_initial_s=0.01,
            backoff_max_s=0.02,
        )
        assert run_selection(["sec_customers"], res, partition="2024-06").success
        assert run_selection(["sec_snapshots"], res, partition="2024-07").success
    return data


@pytest.fixture(params=ENGINES)
def resources(request: pytest.FixtureRequest, bronze_dir: Path, tmp_path: Path) -> dict:
    dsn = request.getfixturevalue("pg_database") if request.param == "postgres" else None
    res = {
        **local_resources(tmp_path, pg_dsn=dsn, base_url="http://127.0.0.1:9"),  # never called
        "bronze": local_resources(bronze_dir, hours_per_day=PER_DAY)["bronze"],
    }
    assert run_selection(DIMS, res).success
    return res


def _july(resources: dict):
    result = run_selection(JULY, resources, partition="2024-07")
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    meta = {
        m.asset_key.to_user_string(): m.metadata
        for m in (
            e.event_specific_data.materialization  # type: ignore[union-attr]
            for e in result.get_asset_materialization_events()
        )
    }
    return result, checks, meta


def _metropolitana(wh) -> tuple[int, pl.DataFrame]:
    """The region's highest hourly total in July, and the caps July stored."""
    peak = wh.read(
        """SELECT MAX(t) AS peak FROM (
               SELECT f.hour_key, SUM(f.clientes_afectados) AS t
               FROM silver.fact_interrupciones f
               JOIN silver.dim_geografia g ON g.geografia_id = f.geografia_id
               WHERE f.month = '2024-07' AND g.cut_region = 13 GROUP BY f.hour_key) q"""
    )["peak"].item()
    caps = wh.read("SELECT * FROM silver.customer_caps WHERE month = '2024-07'")
    return int(peak), caps


def _peak_episode(wh) -> int:
    return int(
        wh.read(
            """SELECT MAX(e.peak_customers) AS p FROM silver.fact_eventos e
               JOIN silver.dim_geografia g ON g.geografia_id = e.geografia_id
               WHERE g.cut_region = 13"""
        )["p"].item()
    )


def _cap_check_examined_and_passed(checks: dict) -> None:
    cap = checks["customers_within_region_total"]
    assert cap.passed, cap.description
    assert cap.metadata["rows_examined"].value > 100  # July's observations, not an empty join
    assert "examined" in (cap.description or "")


@pytest.mark.parametrize("july_row", [False, True], ids=["no-july-rows", "july-seed-rows"])
def test_a_month_without_counts_is_capped_by_the_nearest_earlier_counts(
    resources, july_row: bool
) -> None:
    """July has no region_customers rows, or only the seed's estimates (its region_customers
    materialized without any sec_customers answer): either way June's SEC counts cap it."""
    assert run_selection(["region_customers"], resources, partition="2024-06").success
    if july_row:
        assert run_selection(["region_customers"], resources, partition="2024-07").success
    result, checks, meta = _july(resources)
    assert result.success
    _cap_check_examined_and_passed(checks)
    wh = resources["warehouse"].get_warehouse()
    june = wh.read(
        "SELECT customers FROM silver.region_customers WHERE month = '2024-06' AND cut_region = 13"
    )["customers"].item()
    peak, caps = _metropolitana(wh)
    assert caps.height == 16 and set(caps["as_of"]) == {"2024-06"}
    assert set(caps["source"]) == {"sec"}
    assert caps.filter(pl.col("cut_region") == METROPOLITANA)["customers"].item() == june
    assert 0 < peak <= june < 5_000_000
    facts = meta["fact_interrupciones"]
    assert facts["customers_as_of"].value == {"2024-07": {"as_of": "2024-06", "source": "sec"}}
    assert facts["months_capped_by_other_counts"].value == ["2024-07"]
    assert facts["guardrail_capped"].value >= 1
    # gold: July is trusted (its checks passed); no episode of the region peaks above June's
    # counts, and the region's monthly figure (a sum of peaks) no longer carries the 5,000,000
    series = COMPUTE["time_series"][0](wh)
    metro = series.filter(pl.col("nombre_region") == "METROPOLITANA")["afectados"].item()
    assert 0 < metro < 5_000_000
    assert _peak_episode(wh) <= june
    coverage = data_coverage(wh).filter(pl.col("key") == "2024-07").to_dicts()[0]
    assert coverage["included"]
    assert coverage["customers_as_of"] == "2024-06" and coverage["customers_source"] == "sec"
    assert coverage["customers_own_month"] is False


def test_with_no_counts_anywhere_the_reference_counts_cap_and_are_flagged(resources) -> None:
    result, checks, meta = _july(resources)
    assert result.success
    _cap_check_examined_and_passed(checks)
    wh = resources["warehouse"].get_warehouse()
    assert wh.read("SELECT COUNT(*) AS n FROM silver.region_customers")["n"].item() == 0
    peak, caps = _metropolitana(wh)
    assert set(caps["as_of"]) == {SEED_AS_OF} and set(caps["source"]) == {"seed"}
    reference = caps.filter(pl.col("cut_region") == METROPOLITANA)["customers"].item()
    assert reference == 2_900_000 and 0 < peak <= reference
    assert _peak_episode(wh) <= reference
    assert meta["fact_interrupciones"]["customers_as_of"].value == {
        "2024-07": {"as_of": SEED_AS_OF, "source": "seed"}
    }
    coverage = data_coverage(wh).filter(pl.col("key") == "2024-07").to_dicts()[0]
    assert coverage["customers_source"] == "seed" and coverage["customers_as_of"] == SEED_AS_OF
    assert coverage["customers_own_month"] is False

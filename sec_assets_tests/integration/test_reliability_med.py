"""Major event days and coverage of reliability_indices through the user's path: three months
(2024-06 … 2024-08, four samples a day) collected from the simulator over real HTTP, silver
loaded and checked month by month, gold computed and published. The national windstorm of
2024-08-02 is a major event day of the regions it hit, judged against the two months before it;
a region-month without customer counts is left out and listed in data_coverage."""

from __future__ import annotations

from typing import Any

import pytest

from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.payloads import validate_payload
from sec_assets.month import Month
from sec_assets.warehouse import DuckDBWarehouse, Warehouse
from sec_assets_tests.history import build_gold, collect, load_silver
from sec_sim import SimConfig, run_simulator

MONTHS = Month.range(Month(2024, 6), 3)
HOURS_PER_DAY = 4  # 00, 06, 12, 18: the storm's noon peak is sampled
STORM = "2024-08-02"
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("storm") / "data"
    with run_simulator(SimConfig(seed=7)) as sim:
        collect(sim.base_url, data_dir, MONTHS, HOURS_PER_DAY)
    wh = DuckDBWarehouse(data_dir / "warehouse.duckdb")
    load_silver(wh, data_dir, MONTHS, HOURS_PER_DAY)
    return wh, build_gold(wh, data_dir)


def by_region(rows: list[dict[str, Any]], month: str) -> dict[str, dict[str, Any]]:
    return {r["nombre_region"]: r for r in rows if r["mes"].startswith(month)}


def test_the_windstorm_is_a_major_event_day(built: tuple[Warehouse, dict[str, Any]]) -> None:
    _, payloads = built
    august = by_region(payloads["reliability_indices"], "2024-08")
    metro = august["Metropolitana"]
    assert STORM in metro["major_event_dates"], metro
    assert metro["major_event_days"] == len(metro["major_event_dates"]) >= 1
    assert metro["duration_hours_per_customer_excl_med"] < metro["duration_hours_per_customer"]
    assert metro["frequency_per_1000_excl_med"] < metro["frequency_per_1000"]
    # Its threshold stood on the history before it (June, July), said in the row.
    assert metro["med_window_from"] == "2024-06-01" and metro["med_basis_days"] >= 30
    hit = [r for r in august.values() if STORM in r["major_event_dates"]]
    assert len(hit) >= 5, sorted(august)  # most of the regions the storm took out
    # The first month has too little history behind most of its days: says so, flags less.
    june = by_region(payloads["reliability_indices"], "2024-06")
    assert all(r["med_basis_days"] < 30 for r in june.values())


def test_every_region_month_with_counts_has_a_row(built: tuple[Warehouse, dict[str, Any]]) -> None:
    _, payloads = built
    rows = payloads["reliability_indices"]
    assert len(rows) == 16 * len(MONTHS)
    assert {(r["customers_source"], r["customers_as_of"] == r["mes"][:7]) for r in rows} == {
        ("sec", True)
    }
    assert not [r for r in payloads["data_coverage"] if r["scope"] == "reliability_indices"]


def test_a_month_without_customer_counts_is_listed_not_dropped(
    built: tuple[Warehouse, dict[str, Any]],
) -> None:
    """A region-month capped by the shipped reference counts alone (no SEC count for it or any
    earlier month) has no row and is named; one capped by an earlier month's SEC count keeps its
    row and says which month's count it divides by."""
    wh, _ = built
    caps = "UPDATE silver.customer_caps SET source = '{}', as_of = '{}' WHERE month = '2024-07' "
    wh.execute(caps.format("seed", "2026-11") + "AND cut_region = 5")
    wh.execute(caps.format("sec", "2024-06") + "AND cut_region = 13")
    rows = validate_payload("reliability_indices", COMPUTE["reliability_indices"][0](wh))
    assert "Valparaíso" not in by_region(rows, "2024-07")
    assert by_region(rows, "2024-07")["Metropolitana"]["customers_as_of"] == "2024-06"
    assert len(rows) == 16 * len(MONTHS) - 1
    coverage = validate_payload("data_coverage", COMPUTE["data_coverage"][0](wh))
    [left_out] = [r for r in coverage if r["scope"] == "reliability_indices"]
    assert left_out["key"] == "Valparaíso 2024-07" and left_out["included"] is False
    assert "no customer counts from the SEC" in left_out["reason"]

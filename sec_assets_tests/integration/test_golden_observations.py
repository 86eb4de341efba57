"""The observation-grain golden Parquet on the crafted silver month of ``test_gold_payloads``
(right answers known by hand), on both engines: one row per observed (hour, comuna, company),
NULL customers with the status for every comuna of an hour without valid data, the hour's
cadence and caps; read back by Polars and DuckDB over the hive-partitioned folder, with row
groups a region filter can skip."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from sec_assets.gold import local_files
from sec_assets.gold.codebook import mismatches, table
from sec_assets.gold.golden import GoldenRange, golden_month
from sec_assets.gold.observations import observations, schema
from sec_assets.month import Month
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from sec_assets_tests.integration.test_gold_payloads import M, crafted_silver, pass_checks
from sec_assets_tests.integration.test_warehouse_support import ENGINES

MONTH = Month.parse(M)


def official(wh: Warehouse, region: int | None = None) -> int:
    """How many official comunas (in ``region``) the dimension holds."""
    where = "" if region is None else f" AND cut_region = {region}"
    sql = f"SELECT count(*) AS n FROM silver.dim_geografia WHERE NOT is_unknown{where}"
    return int(wh.read(sql)["n"][0])


@pytest.fixture(params=ENGINES)
def gold_wh(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    wh: Warehouse = (
        PostgresWarehouse(request.getfixturevalue("pg_database"))
        if request.param == "postgres"
        else DuckDBWarehouse(tmp_path / "w.duckdb")
    )
    return crafted_silver(wh)


def test_one_row_per_observation_and_no_data_is_null(gold_wh: Warehouse) -> None:
    frame = observations(gold_wh, MONTH)
    assert frame.schema == pl.Schema(schema())
    seen = frame.filter(pl.col("clientes_afectados").is_not_null())
    assert seen.select("hora_local", "cut_comuna", "clientes_afectados").rows() == [
        (datetime(2024, 8, 2, 10), "13119", 100),
        (datetime(2024, 8, 2, 11), "13119", 100),
        (datetime(2024, 8, 2, 11), "13120", 50),
    ]
    assert set(seen["ledger_status"]) == {"ok"}
    assert seen["flag_capped"].to_list() == [False] * 3
    # 13:00 failed: every official comuna, customers unknown (never 0), the status said.
    failed = frame.filter(pl.col("clientes_afectados").is_null())
    assert failed.height == official(gold_wh)
    assert set(failed["ledger_status"]) == {"failed"}
    assert set(failed["hora_local"]) == {datetime(2024, 8, 2, 13)}
    assert failed["empresa_id"].null_count() == failed.height
    # 12:00 was ok with no outage: no row (absent = zero customers in a valid hour).
    assert datetime(2024, 8, 2, 12) not in set(frame["hora_local"])
    # The hour's cadence and the counts its values were capped by.
    assert set(frame["hours_per_day"]) == {24} and set(frame["hours_represented"]) == {1.0}
    assert set(frame["cadence_error"]) == {0.0}
    metro = frame.filter(pl.col("cut_region") == 13)
    assert set(metro["region_customers"]) == {1000} and set(metro["customers_as_of"]) == {M}
    # Sorted by region, comuna, hour: what the row-group statistics are about.
    assert frame.equals(frame.sort("cut_region", "cut_comuna", "hora_local", "empresa_id"))


def test_a_month_gold_does_not_trust_has_no_rows(gold_wh: Warehouse) -> None:
    pass_checks(gold_wh, M, failing=("month_coverage_above_threshold",))
    assert observations(gold_wh, MONTH).height == 0


def test_golden_month_writes_both_grains_readable_by_polars_and_duckdb(
    gold_wh: Warehouse, tmp_path: Path
) -> None:
    done = golden_month(gold_wh, tmp_path, MONTH)
    path = done.paths["fact_observaciones"]
    assert path == tmp_path / "gold/parquet/fact_observaciones/year=2024/month=08/data.parquet"
    assert done.paths["fact_eventos"].is_file() and done.rows == 3
    for grain, written in done.paths.items():  # the files' columns are their codebook entries
        assert mismatches(table(grain), pl.read_parquet_schema(written)) == [], grain
    root = tmp_path / "gold" / "parquet" / "fact_observaciones"
    lazy = pl.scan_parquet(root / "**" / "*.parquet", hive_partitioning=True)
    metro = lazy.filter((pl.col("year") == 2024) & (pl.col("cut_region") == 13)).collect()
    assert metro.height == 3 + official(gold_wh, 13)  # observed, and 13:00 unknown
    sql = (
        "SELECT ledger_status, count(*) AS n, sum(clientes_afectados) AS c "
        f"FROM read_parquet('{root}/**/*.parquet', hive_partitioning=true) "
        "WHERE year = 2024 AND month = 8 GROUP BY 1 ORDER BY 1"
    )
    assert duckdb.sql(sql).fetchall() == [
        ("failed", official(gold_wh), None),
        ("ok", 3, 250),
    ]
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    region = meta.schema.names.index("cut_region")
    stats = [meta.row_group(i).column(region).statistics for i in range(meta.num_row_groups)]
    assert all(s.has_min_max for s in stats)
    # Rewriting the same month gives the same bytes.
    before = path.read_bytes()
    golden_month(gold_wh, tmp_path, MONTH)
    assert path.read_bytes() == before
    # A month gold stops trusting loses both files.
    pass_checks(gold_wh, M, failing=("month_coverage_above_threshold",))
    assert golden_month(gold_wh, tmp_path, MONTH).removed
    assert not path.exists() and not done.paths["fact_eventos"].exists()
    assert local_files.GRAINS == ("fact_eventos", "fact_observaciones")


def test_a_range_writes_each_month_as_a_run_of_it_alone(gold_wh: Warehouse, tmp_path: Path) -> None:
    """Read in blocks of two months, the month and its neighbours (no data) are written as
    each would be alone: the same files, byte for byte, and the same counts."""
    months = Month.range(MONTH.prev(), 3)
    golden = GoldenRange(gold_wh, tmp_path / "range", months, block=2)
    ranged = {m: golden.write(m) for m in months}
    alone = {m: golden_month(gold_wh, tmp_path / "alone", m) for m in months}
    assert ranged[MONTH].rows == 3 and ranged[MONTH].observations > 3
    for m in months:
        assert (ranged[m].rows, ranged[m].observations) == (alone[m].rows, alone[m].observations)
        for grain, path in alone[m].paths.items():
            assert ranged[m].paths[grain].read_bytes() == path.read_bytes(), (m, grain)
    # A month gold leaves out is removed, whichever block reads it.
    pass_checks(gold_wh, M, failing=("month_coverage_above_threshold",))
    again = GoldenRange(gold_wh, tmp_path / "range", months, block=2)
    assert [again.write(m).removed for m in months] == [False, True, False]

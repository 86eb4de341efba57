"""DuckDB reads of a Dagster step share one connection; a write of the process closes it
first, and releasing it lets another process write at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from sec_assets.resources import local_resources
from sec_assets.warehouse import duckdb_engine
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.resource import WarehouseResource

WRITE = """
import sys
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
wh = DuckDBWarehouse(sys.argv[1], lock_timeout_s=60)
wh.execute("INSERT INTO silver.dim_empresa VALUES ('other', 'O', 'O', FALSE, 'v')")
"""


def test_reads_share_one_connection_until_a_write(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.ensure_schema()
    wh.keep_reads_open()
    for _ in range(5):
        assert wh.read("SELECT COUNT(*) AS n FROM silver.dim_empresa")["n"].item() == 0
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
    assert wh.read("SELECT COUNT(*) AS n FROM silver.dim_empresa")["n"].item() == 1
    assert wh.release_reads() == 2  # opened for the first read, and again after the write
    # Released: another process writes without waiting for us.
    subprocess.run([sys.executable, "-c", WRITE, str(wh.path)], check=True, timeout=120)
    assert wh.read("SELECT COUNT(*) AS n FROM silver.dim_empresa")["n"].item() == 2


def test_a_step_keeps_reads_open_and_releases_them(tmp_path: Path) -> None:
    seen: dict[str, int] = {}

    @dg.asset
    def reads(warehouse: WarehouseResource) -> None:
        wh = warehouse.get_warehouse()
        assert isinstance(wh, DuckDBWarehouse)
        for _ in range(3):
            wh.read("SELECT 1 AS one")
        seen["kept"] = int(wh.path.resolve() in duckdb_engine._readers)

    resource = local_resources(tmp_path)["warehouse"]
    assert dg.materialize([reads], resources={"warehouse": resource}).success
    assert seen["kept"] == 1
    subprocess.run(  # the step's teardown released the file: another process writes at once
        [sys.executable, "-c", WRITE, str(tmp_path / "warehouse.duckdb")], check=True, timeout=120
    )

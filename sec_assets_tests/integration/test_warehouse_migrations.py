"""A warehouse created under older contracts is brought to the current column names when it
ensures its schema, keeping its rows; applying the renames again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sec_assets.sql_files import silver_migrations_dir
from sec_assets.warehouse import Warehouse, WarehouseError
from sec_assets.warehouse.migrations import (
    Fill,
    Rename,
    fills_due,
    read_migrations,
    renames_due,
)
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

MIGRATIONS = silver_migrations_dir()


def _columns(wh: Warehouse, table: str) -> list[str]:
    return list(wh.tables(refresh=True)[table].columns)


def test_old_column_names_are_renamed_in_place_and_rows_kept(warehouse: Warehouse) -> None:
    renames = read_migrations(MIGRATIONS)[0]
    assert {(r.table, r.old, r.new) for r in renames} >= {
        ("region_customers", "clientes", "customers"),
        ("national_hourly", "clientes", "customers"),
    }
    # Back to the old names, as a warehouse of the previous release has them.
    for r in renames:
        warehouse.execute(f"ALTER TABLE silver.{r.table} RENAME COLUMN {r.new} TO {r.old}")
    warehouse.execute(
        "INSERT INTO silver.region_customers (month, cut_region, clientes, source) "
        "VALUES ('2024-08', 13, 3000000, 'seed')"
    )
    assert "clientes" in _columns(warehouse, "region_customers")

    warehouse.ensure_schema()
    for r in renames:
        cols = _columns(warehouse, r.table)
        assert r.new in cols and r.old not in cols
    got = warehouse.read("SELECT cut_region, customers FROM silver.region_customers")
    assert got.rows() == [(13, 3_000_000)]

    warehouse.ensure_schema()  # nothing left to rename
    assert renames_due(renames, warehouse.tables(refresh=True)) == []


def test_a_table_with_both_names_is_refused_with_the_way_out(warehouse: Warehouse) -> None:
    warehouse.execute("ALTER TABLE silver.national_hourly ADD COLUMN clientes BIGINT")
    with pytest.raises(WarehouseError, match=r"national_hourly has both clientes and customers"):
        warehouse.ensure_schema()


def test_only_renames_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "001_x.sql").write_text(
        "-- a comment\nALTER TABLE silver.t RENAME COLUMN a TO b;\nDROP TABLE silver.t;\n"
    )
    with pytest.raises(WarehouseError, match=r"001_x.sql: only 'ALTER TABLE .*DROP TABLE"):
        read_migrations(tmp_path)[0]
    (tmp_path / "001_x.sql").write_text("ALTER TABLE silver.t RENAME COLUMN a TO b;")
    assert read_migrations(tmp_path)[0] == [Rename("t", "a", "b", "001_x.sql")]


def test_a_fill_runs_only_for_the_table_just_created(tmp_path: Path) -> None:
    (tmp_path / "002_f.sql").write_text(
        "-- derived\nINSERT INTO silver.t (a)\nSELECT a FROM silver.s;\n"
    )
    renames, fills = read_migrations(tmp_path)
    assert renames == [] and fills == [
        Fill("t", "INSERT INTO silver.t (a) SELECT a FROM silver.s", "002_f.sql")
    ]
    assert fills_due(fills, before={"s"}, contracts={"s", "t"}) == fills  # t is new
    assert fills_due(fills, before={"s", "t"}, contracts={"s", "t"}) == []  # t was there
    with pytest.raises(
        WarehouseError, match=r"fill tables no contract creates: \['002_f.sql: silver.t'\]"
    ):
        fills_due(fills, before=set(), contracts={"s"})


def test_a_duckdb_episode_table_with_its_keys_declared_is_rebuilt_without_them(
    tmp_path: Path,
) -> None:
    """A DuckDB warehouse created when fact_eventos declared its keys to DuckDB (an ART index
    on every id) gets the table rebuilt without them by ensure_schema, its rows kept; a second
    ensure_schema changes nothing."""
    import shutil

    from sec_assets.sql_files import contracts_dir
    from sec_assets.warehouse import DuckDBWarehouse

    old_dir = tmp_path / "contracts"
    shutil.copytree(contracts_dir(), old_dir)
    old = old_dir / "fact_eventos.sql"
    old.write_text(old.read_text().replace("-- storage duckdb: keys checked\n", ""))
    path = tmp_path / "warehouse.duckdb"
    before = DuckDBWarehouse(path, sql_dir=old_dir)
    before.ensure_schema()
    support.seed_dims(before)
    before.replace_partition(
        "fact_eventos", support.eventos("2024-01", ["a", "b"]), where={"month": "2024-01"}
    )
    constraints = (
        "SELECT count(*) AS n FROM duckdb_constraints() WHERE table_name = 'fact_eventos' "
        "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')"
    )
    assert before.read(constraints)["n"].item() == 4  # the old table: key + 3 references
    rows = support.table(before, "fact_eventos")

    now = DuckDBWarehouse(path)
    for _ in range(2):
        now.ensure_schema()
        assert now.read(constraints)["n"].item() == 0
        assert support.table(now, "fact_eventos").equals(rows)
        assert now.tables(refresh=True)["fact_eventos"].keys_checked

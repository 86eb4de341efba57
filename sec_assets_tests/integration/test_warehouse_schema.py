"""The silver contracts in both engines: created idempotently, keys declared and enforced."""

from __future__ import annotations

import re

import polars as pl
import pytest

from sec_assets.warehouse import ReplaceStep, Warehouse, WarehouseIntegrityError
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.schema import default_sql_dir
from sec_assets_tests.integration import test_warehouse_support as support
from sec_assets_tests.integration.test_warehouse_support import (
    dim_empresa,
    facts,
    ledger,
    table,
)

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

CONTRACTS = {p.stem: p.read_text() for p in default_sql_dir().glob("*.sql")}

# Portable catalog queries: DuckDB and Postgres both implement these information_schema views.
# Postgres partitions (fact_interrupciones__YYYY_MM, __default) are tables too: left out.
TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver' "
    "AND table_name NOT LIKE '%\\_\\_%' ESCAPE '\\'"
)
CONSTRAINTS = """
SELECT table_name, constraint_type FROM information_schema.table_constraints
WHERE table_schema = 'silver' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')
  AND table_name NOT LIKE '%\\_\\_%' ESCAPE '\\'
"""
FOREIGN_KEYS = """
SELECT fk.table_name AS child, pk.table_name AS parent
FROM information_schema.referential_constraints rc
JOIN information_schema.table_constraints fk
  ON fk.constraint_name = rc.constraint_name AND fk.constraint_schema = rc.constraint_schema
JOIN information_schema.table_constraints pk
  ON pk.constraint_name = rc.unique_constraint_name
 AND pk.constraint_schema = rc.unique_constraint_schema
WHERE fk.table_schema = 'silver' AND fk.table_name NOT LIKE '%\\_\\_%' ESCAPE '\\'
"""


def expected_foreign_keys() -> set[tuple[str, str]]:
    return {
        (name, parent)
        for name, sql in CONTRACTS.items()
        for parent in re.findall(r"REFERENCES\s+silver\.(\w+)", sql)
    }


def test_the_schema_matches_the_contracts_and_ensuring_it_again_changes_nothing(
    seeded: Warehouse,
) -> None:
    def check_catalog() -> None:
        assert set(seeded.read(TABLES)["table_name"]) == set(CONTRACTS)
        schemas = seeded.read("SELECT schema_name FROM information_schema.schemata")
        assert {"silver", "gold"} <= set(schemas["schema_name"])
        constraints = seeded.read(CONSTRAINTS)
        pk = set(constraints.filter(pl.col("constraint_type") == "PRIMARY KEY")["table_name"])
        assert pk == {name for name, sql in CONTRACTS.items() if "PRIMARY KEY" in sql}
        fks = {(r["child"], r["parent"]) for r in seeded.read(FOREIGN_KEYS).iter_rows(named=True)}
        assert fks == expected_foreign_keys()
        assert len(fks) == 8  # ledger→tiempo, 4 from the observation fact, 3 from the events

    check_catalog()
    before = table(seeded, "dim_empresa")
    assert seeded.ensure_schema() == seeded.ensure_schema()
    check_catalog()
    assert table(seeded, "dim_empresa").equals(before)


def test_keys_are_enforced(seeded: Warehouse) -> None:
    orphan = facts("2024-01", hours=1, comunas=1).head(1)
    with pytest.raises(WarehouseIntegrityError):  # foreign key: its hour is not in the ledger
        seeded.replace_partition("fact_interrupciones", orphan, where={"month": "2024-01"})
    with pytest.raises(WarehouseIntegrityError):  # foreign key: tiempo_id 42 does not exist
        seeded.execute(
            "INSERT INTO silver.snapshot_ledger (hour_key, month, hora_local, hora_utc,"
            " tiempo_id, status, rows_raw, rows_loaded, comunas, customers, versions, attempts)"
            " VALUES ('x', '2024-01', TIMESTAMP '2024-01-01 00:00:00',"
            " TIMESTAMPTZ '2024-01-01 03:00:00+00', 42, 'ok', 0, 0, 0, 0, 0, 0)"
        )
    with pytest.raises(WarehouseIntegrityError):  # primary key: 'cge' exists
        seeded.execute(
            "INSERT INTO silver.dim_empresa (empresa_id, nombre_empresa, nombre_oficial,"
            " is_unknown, seed_version) VALUES ('cge', 'x', 'x', false, 'v2')"
        )
    with pytest.raises(WarehouseIntegrityError):  # unique: cut_comuna of another comuna
        seeded.execute(
            "INSERT INTO silver.dim_geografia (geografia_id, cut_comuna, nombre_comuna,"
            " cut_provincia, cut_region, nombre_region, is_unknown, seed_version)"
            " VALUES (1, '13100', 'x', '131', 13, 'x', false, 'v2')"
        )
    twice = pl.concat([dim_empresa().head(1)] * 2)
    with pytest.raises(WarehouseIntegrityError, match="more than once"):
        seeded.upsert_dimension("dim_empresa", twice, "empresa_id")
    with pytest.raises(WarehouseIntegrityError, match="more than once"):
        seeded.replace_partition(
            "snapshot_ledger",
            pl.concat([ledger("2024-01").head(2)] * 2),
            where={"month": "2024-01"},
        )
    assert table(seeded, "snapshot_ledger").is_empty()
    assert table(seeded, "fact_interrupciones").is_empty()
    assert table(seeded, "dim_empresa").equals(dim_empresa().sort("empresa_id"))


def test_each_engine_stores_the_same_contract(seeded: Warehouse, tmp_path) -> None:
    """An engine's own version of a contract (dbt_like_sql/silver/postgres/) has the shared
    file's columns, types and foreign keys; only keys and storage may differ."""
    reference = DuckDBWarehouse(tmp_path / "reference.duckdb")
    reference.ensure_schema()
    ours, theirs = seeded.tables(refresh=True), reference.tables()
    assert set(ours) == set(theirs)
    for name, info in theirs.items():
        mine = ours[name]
        assert mine.columns == info.columns, name
        assert mine.kinds == info.kinds, name
        assert set(mine.foreign_keys) == set(info.foreign_keys), name
        assert set(mine.primary_key) >= set(info.primary_key), name
    partitioned = {n: i.partition_by for n, i in ours.items() if i.partition_by}
    assert partitioned == (
        {"fact_interrupciones": ("month",)} if seeded.engine == "postgres" else {}
    )


def test_a_month_is_swapped_as_a_whole_partition_with_its_keys_checked(seeded: Warehouse) -> None:
    """Postgres: loading a month of facts builds, fills and attaches its own partition; the
    foreign keys are validated when it is attached, and a failure leaves the old month."""
    for month in ("2024-01", "2024-02"):
        seeded.replace_many(
            [
                ReplaceStep("snapshot_ledger", ledger(month), where={"month": month}),
                ReplaceStep("fact_interrupciones", facts(month), where={"month": month}),
            ]
        )
    before = table(seeded, "fact_interrupciones")
    bad = facts("2024-01").with_columns(pl.lit(424242).alias("geografia_id"))
    with pytest.raises(WarehouseIntegrityError):
        seeded.replace_partition("fact_interrupciones", bad, where={"month": "2024-01"})
    assert table(seeded, "fact_interrupciones").equals(before)
    # Reloading a month replaces exactly it.
    seeded.replace_partition(
        "fact_interrupciones", facts("2024-01").head(3), where={"month": "2024-01"}
    )
    after = table(seeded, "fact_interrupciones")
    assert after.filter(pl.col("month") == "2024-01").height == 3
    assert after.filter(pl.col("month") == "2024-02").equals(
        before.filter(pl.col("month") == "2024-02")
    )
    if seeded.engine == "postgres":
        parts = seeded.read(
            "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'silver.fact_interrupciones'::regclass ORDER BY 1"
        )["name"].to_list()
        assert parts == [
            "fact_interrupciones__2024_01",
            "fact_interrupciones__2024_02",
            "fact_interrupciones__default",
        ]

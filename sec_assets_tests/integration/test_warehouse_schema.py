"""The silver contracts in both engines: created idempotently, keys declared and enforced."""

from __future__ import annotations

import re

import polars as pl
import pytest

from sec_assets.warehouse import Warehouse, WarehouseIntegrityError
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
TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver'"
CONSTRAINTS = """
SELECT table_name, constraint_type FROM information_schema.table_constraints
WHERE table_schema = 'silver' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')
"""
FOREIGN_KEYS = """
SELECT fk.table_name AS child, pk.table_name AS parent
FROM information_schema.referential_constraints rc
JOIN information_schema.table_constraints fk
  ON fk.constraint_name = rc.constraint_name AND fk.constraint_schema = rc.constraint_schema
JOIN information_schema.table_constraints pk
  ON pk.constraint_name = rc.unique_constraint_name
 AND pk.constraint_schema = rc.unique_constraint_schema
WHERE fk.table_schema = 'silver'
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

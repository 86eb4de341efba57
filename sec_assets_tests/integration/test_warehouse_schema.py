"""The silver contracts in both engines: created idempotently, keys declared and enforced."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from sec_assets.warehouse import ReplaceStep, Warehouse, WarehouseIntegrityError
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse, _DuckTx
from sec_assets.warehouse.postgres_engine import _PgTx
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

# information_schema on both engines. Tables stored per month (fact_interrupciones__YYYY_MM,
# __default) are tables too: left out; DuckDB shows fact_interrupciones itself as a view.
TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver' "
    "AND table_name NOT LIKE '%\\_\\_%' ESCAPE '\\'"
)


def plain_contracts(root: Path) -> Path:
    """The contracts without their storage clauses: every table stored as declared."""
    root.mkdir()
    for path in default_sql_dir().glob("*.sql"):
        lines = path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not re.match(r"--\s*storage\b", line)]
        (root / path.name).write_text("".join(kept))
    return root


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
        # As the engine's catalog describes the contracts (a table stored per month shows as
        # one table: its month tables and DEFAULT table are not listed).
        tables = seeded.tables(refresh=True)
        assert set(tables) == set(CONTRACTS)
        names = set(seeded.read(TABLES)["table_name"])
        assert names <= set(CONTRACTS) and set(CONTRACTS) - names <= {"fact_interrupciones"}
        schemas = seeded.read("SELECT schema_name FROM information_schema.schemata")
        assert {"silver", "gold"} <= set(schemas["schema_name"])
        pk = {name for name, info in tables.items() if info.primary_key}
        assert pk == {name for name, sql in CONTRACTS.items() if "PRIMARY KEY" in sql}
        fks = {(fk.table, fk.ref_table) for info in tables.values() for fk in info.foreign_keys}
        assert fks == expected_foreign_keys()
        # ledger→tiempo, 4 from the observation fact, 3 from the events, the daily fold→geo
        assert len(fks) == 9

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
    """What an engine's storage clause makes of a contract has the plain declaration's columns,
    types and foreign keys; only keys and storage may differ."""
    shared = plain_contracts(tmp_path / "shared")
    reference = DuckDBWarehouse(tmp_path / "reference.duckdb", sql_dir=shared)
    reference.ensure_schema()
    ours, theirs = seeded.tables(refresh=True), reference.tables()
    assert set(ours) == set(theirs)
    for name, info in theirs.items():
        mine = ours[name]
        assert mine.columns == info.columns, name
        assert mine.kinds == info.kinds, name
        assert set(mine.foreign_keys) == set(info.foreign_keys), name
        assert set(mine.primary_key) >= set(info.primary_key), name
    per_month = {"fact_interrupciones": ("month",), "comuna_daily_customers": ("month",)}
    if seeded.engine == "postgres":  # episodes too: each load rewrites the months it touches
        per_month["fact_eventos"] = ("month",)
    assert {n: i.partition_by for n, i in ours.items() if i.partition_by} == per_month
    assert not any(i.partition_by for i in theirs.values())


def test_a_month_is_swapped_as_a_whole_partition_with_its_keys_checked(seeded: Warehouse) -> None:
    """Loading a month of facts builds and fills its own table (a Postgres partition, or a
    DuckDB table behind the view) with every key checked; a failure leaves the old month."""
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
    parts = seeded.read(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'silver' "
        "AND table_name LIKE 'fact\\_interrupciones\\_\\_%' ESCAPE '\\' ORDER BY 1"
    )["name"].to_list()
    assert parts == [
        "fact_interrupciones__2024_01",
        "fact_interrupciones__2024_02",
        "fact_interrupciones__default",
    ]


def test_a_warehouse_made_before_facts_were_stored_per_month_gets_them_moved(tmp_path) -> None:
    """A DuckDB file whose fact_interrupciones is still one table: ensure_schema moves its rows
    into the per-month storage (the DEFAULT table) in one transaction, never mixing the two;
    a month loaded afterwards replaces its own rows and leaves the others."""
    shared = plain_contracts(tmp_path / "shared")
    old = DuckDBWarehouse(tmp_path / "old.duckdb", sql_dir=shared)
    old.ensure_schema()
    support.seed_dims(old)
    for month in ("2024-01", "2024-02"):
        old.replace_many(
            [
                ReplaceStep("snapshot_ledger", ledger(month), where={"month": month}),
                ReplaceStep("fact_interrupciones", facts(month), where={"month": month}),
            ]
        )
    before = table(old, "fact_interrupciones")
    assert not old.tables()["fact_interrupciones"].partition_by

    wh = DuckDBWarehouse(tmp_path / "old.duckdb")
    wh.ensure_schema()
    assert wh.tables()["fact_interrupciones"].partition_by == ("month",)
    assert table(wh, "fact_interrupciones").equals(before)
    wh.ensure_schema()  # nothing more to move
    assert table(wh, "fact_interrupciones").equals(before)
    wh.replace_partition(
        "fact_interrupciones", facts("2024-02").head(3), where={"month": "2024-02"}
    )
    after = table(wh, "fact_interrupciones")
    assert after.filter(pl.col("month") == "2024-01").equals(
        before.filter(pl.col("month") == "2024-01")
    )
    assert after.filter(pl.col("month") == "2024-02").height == 3


def test_ensuring_a_current_schema_reads_the_catalog_once(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every contract stored as it says, nothing to rename or move: the catalog read before the
    (no-op) DDL is the catalog, and a second scan, which grows with the history, is skipped."""
    warehouse.ensure_schema()
    reads: list[str] = []
    tx_class = _DuckTx if isinstance(warehouse, DuckDBWarehouse) else _PgTx
    original = tx_class.introspect

    def counted(self: Any) -> Any:
        reads.append("introspect")
        return original(self)

    monkeypatch.setattr(tx_class, "introspect", counted)
    warehouse._tables = None  # as a new process has it
    warehouse.ensure_schema()
    assert reads == ["introspect"]
    assert warehouse.tables() == warehouse.tables(refresh=True)

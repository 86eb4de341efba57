"""Dimensions are upserted, never deleted: they are the parents of every fact's foreign key."""

from __future__ import annotations

import polars as pl
import pytest

from sec_assets.warehouse import UpsertResult, Warehouse, WarehouseIntegrityError
from sec_assets_tests.integration import test_warehouse_support as support
from sec_assets_tests.integration.test_warehouse_support import dim_geografia, load_month, table

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES


def test_reseeding_inserts_new_keys_and_updates_the_rest_under_live_facts(
    seeded: Warehouse,
) -> None:
    load_month(seeded, "2024-01")  # every comuna is now referenced by facts
    facts_before = table(seeded, "fact_interrupciones")
    v2 = pl.concat([dim_geografia(8), dim_geografia(9).tail(2).head(1)]).with_columns(
        nombre_comuna=pl.col("nombre_comuna") + " (v2)", seed_version=pl.lit("v2")
    )
    assert seeded.upsert_dimension("dim_geografia", v2, "geografia_id") == UpsertResult(1, 9)
    again = seeded.upsert_dimension("dim_geografia", v2, key=["geografia_id"])
    assert again == UpsertResult(inserted=0, updated=10)

    got = table(seeded, "dim_geografia")
    assert got.height == 10
    assert got["seed_version"].unique().to_list() == ["v2"]
    assert got["nombre_comuna"].str.ends_with(" (v2)").all()
    assert table(seeded, "fact_interrupciones").equals(facts_before)


def test_changing_an_alternate_key_of_a_referenced_row(seeded: Warehouse) -> None:
    """cut_comuna is UNIQUE, hence indexed: DuckDB cannot update it on a row that facts
    reference and says so; Postgres can."""
    load_month(seeded, "2024-01")
    moved = dim_geografia(1).head(1).with_columns(cut_comuna=pl.lit("99999"))
    if seeded.engine == "duckdb":
        with pytest.raises(WarehouseIntegrityError, match="indexed column"):
            seeded.upsert_dimension("dim_geografia", moved, "geografia_id")
        expected = "13100"
    else:
        seeded.upsert_dimension("dim_geografia", moved, "geografia_id")
        expected = "99999"
    got = seeded.read("SELECT cut_comuna FROM silver.dim_geografia WHERE geografia_id = 13100")
    assert got["cut_comuna"].to_list() == [expected]


def test_the_key_must_be_a_declared_key(seeded: Warehouse) -> None:
    with pytest.raises(ValueError, match="not the primary key or a unique key"):
        seeded.upsert_dimension("dim_geografia", dim_geografia(), "nombre_comuna")
    by_cut = dim_geografia().with_columns(seed_version=pl.lit("by-cut"))
    assert seeded.upsert_dimension("dim_geografia", by_cut, "cut_comuna").updated == 9

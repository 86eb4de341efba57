"""The codebook is generated from the contracts: the committed ``docs/codebook.md`` is what
they generate; every research payload's row model and the observation grain's schema agree
with their entries, column by column; the Table Schemas are well formed."""

from __future__ import annotations

import polars as pl
import pytest

from sec_assets.gold.codebook import (
    _field_type,
    codebook_json,
    markdown,
    mismatches,
    table,
    table_schema,
    tables,
)
from sec_assets.gold.contract import CONTRACT
from sec_assets.gold.observations import schema
from sec_assets.gold.payloads import ROW_MODELS
from sec_assets.gold.research_tables import RESEARCH
from sec_assets_tests.conftest import REPO

TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "array"}


def test_the_committed_codebook_is_the_generated_one() -> None:
    committed = (REPO / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert committed == markdown(), (
        "docs/codebook.md differs from the contracts: python -m sec_assets codebook > "
        "docs/codebook.md"
    )


def test_every_published_table_is_in_it() -> None:
    ids = [t.id for t in tables()]
    assert len(ids) == len(set(ids))
    assert set(ids) == {"fact_eventos", "fact_observaciones", *ROW_MODELS}
    doc = markdown()
    for t in tables():
        assert f"## {t.id}\n" in doc
        for c in t.columns:
            assert f"| `{c.name}` |" in doc, (t.id, c.name)


@pytest.mark.parametrize("t", RESEARCH, ids=lambda t: t.id)
def test_research_payloads_agree_with_their_row_models(t) -> None:
    fields = ROW_MODELS[t.id].model_fields
    assert [c.name for c in t.columns] == [f.alias or n for n, f in fields.items()]
    for c in t.columns:
        kind, nullable = _field_type(fields[c.name].annotation)
        assert (c.type, c.nullable) == (kind, nullable), c.name


def test_dashboard_payloads_are_their_contract() -> None:
    for pid, spec in CONTRACT.items():
        assert [c.name for c in table(pid).columns] == [f.name for f in spec.fields]
    ratio = table("investment_roi").column("efficiency_ratio")
    assert ratio.type == "number" and "per million USD" in ratio.meaning
    assert table("time_series").column("afectados").type == "integer"


def test_the_observation_grain_agrees_with_its_schema() -> None:
    assert mismatches(table("fact_observaciones"), pl.Schema(schema())) == []
    drifted = pl.Schema({**schema(), "extra": pl.Int64()})
    assert mismatches(table("fact_observaciones"), drifted) == [
        "fact_observaciones: column extra (integer) not in the codebook"
    ]
    renamed = pl.Schema(
        {("customers" if k == "clientes_afectados" else k): v for k, v in schema().items()}
    )
    assert len(mismatches(table("fact_observaciones"), renamed)) == 2


def test_every_column_says_what_it_is() -> None:
    for t in tables():
        for c in t.columns:
            assert c.type in TYPES and c.meaning, (t.id, c.name)
        assert set(t.primary_key) <= {c.name for c in t.columns}, t.id


def test_table_schemas_are_frictionless_shaped() -> None:
    doc = codebook_json()
    assert doc["profile"].endswith("table-schema.json")
    for entry in doc["tables"]:
        schema = entry["schema"]
        assert schema["missingValues"] == [""]
        for field in schema["fields"]:
            assert set(field) <= {
                "name",
                "type",
                "description",
                "unit",
                "derivation",
                "bias",
                "guardrail",
                "constraints",
            }
            assert field["type"] in TYPES
    schema = table_schema(table("fact_observaciones"))
    customers = next(f for f in schema["fields"] if f["name"] == "clientes_afectados")
    assert "constraints" not in customers  # NULL is no data
    status = next(f for f in schema["fields"] if f["name"] == "ledger_status")
    assert status["constraints"] == {"required": True}
    # Unique, but empresa_id is NULL in rows of hours without data: no Table Schema key.
    assert "primaryKey" not in schema
    assert table_schema(table("fact_eventos"))["primaryKey"] == ["evento_id"]

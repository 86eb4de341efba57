"""The dashboard contract (sec_assets/gold/contract.py) and the payload models that enforce it
agree field by field; a payload that breaks the contract is refused, naming the field."""

from __future__ import annotations

import types
import typing
from datetime import date

import polars as pl
import pytest

from sec_assets.gold.contract import (
    CONTRACT,
    DASHBOARD_COMMITS,
    RESEARCH_IDS,
    dashboard_name,
    region_names,
)
from sec_assets.gold.labels import QUALITY_LABELS, dashboard_regions
from sec_assets.gold.payloads import ROW_MODELS, PayloadError, validate_payload

TS_TYPES = {"number": (int, float), "string": (str,), "date": (date,)}


def annotation_types(annotation: object) -> tuple[set[type], bool]:
    """The Python types an annotation accepts and whether it accepts None."""
    if typing.get_origin(annotation) is typing.Annotated:
        return annotation_types(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = typing.get_args(annotation)
        kinds = {a for a in args if a is not type(None)}
        return kinds, type(None) in args
    assert isinstance(annotation, type)
    return {annotation}, False


@pytest.mark.parametrize("payload_id", list(CONTRACT))
def test_the_model_enforces_the_contract(payload_id: str) -> None:
    spec = CONTRACT[payload_id]
    fields = ROW_MODELS[payload_id].model_fields
    by_alias = {f.alias or name: f for name, f in fields.items()}
    assert set(by_alias) == {f.name for f in spec.fields}
    for f in spec.fields:
        kinds, nullable = annotation_types(by_alias[f.name].annotation)
        assert nullable is f.nullable is False, f.name  # the dashboard declares no null
        assert kinds <= set(TS_TYPES[f.ts_type]), (f.name, kinds)
        assert f.unit, f.name


def test_the_contract_records_where_it_was_read() -> None:
    assert all(len(c) == 40 for c in DASHBOARD_COMMITS.values())
    assert "src/lib/types.ts" in DASHBOARD_COMMITS
    assert not set(RESEARCH_IDS) & set(CONTRACT)


def test_region_names_are_spelled_as_the_seed_wrote_them() -> None:
    names = region_names()
    assert len(names) == 16
    assert {"COQUIMBO", "ARICA Y PARINACOTA", "NUBLE", "O'HIGGINS", "BIOBIO", "AYSEN"} <= names
    assert dashboard_name("  Los  Ríos ") == "LOS RIOS"
    frame = dashboard_regions(pl.DataFrame({"nombre_region": ["Coquimbo", "Ñuble", None]}))
    assert frame["nombre_region"].to_list() == ["COQUIMBO", "NUBLE", None]


ROW = {"mes": date(2024, 8, 1), "nombre_region": "COQUIMBO", "afectados": 10}
ROI = {
    "nombre_region": "COQUIMBO",
    "clientes_afectados": 10,
    "total_inversión_mmu": 2.0,
    "efficiency_ratio": 5.0,
    "maturity_note": "n",
}


@pytest.mark.parametrize(
    ("payload_id", "row", "field"),
    [
        ("time_series", {**ROW, "nombre_region": "Coquimbo"}, "nombre_region"),
        ("time_series", {**ROW, "nombre_region": "Arica y Parinacota"}, "nombre_region"),
        ("investment_roi", {**ROI, "efficiency_ratio": None}, "efficiency_ratio"),
        ("investment_roi", {**ROI, "efficiency_ratio": float("inf")}, "efficiency_ratio"),
        ("investment_roi", {**ROI, "total_inversión_mmu": 0.0}, "total_inversión_mmu"),
        (
            "investment_validation",
            {"project": "p", "year": 2024, "type": "c", "delta": None, "context": "c"},
            "delta",
        ),
        (
            "investment_validation",
            {"project": "p", "year": 2024, "type": "c", "delta": float("nan"), "context": "c"},
            "delta",
        ),
        (
            "eda_quality_stats",
            {"category": "geo_unknown", "count": 1, "percentage": 0.1},
            "category",
        ),
    ],
)
def test_a_payload_that_breaks_the_contract_is_refused(
    payload_id: str, row: dict, field: str
) -> None:
    with pytest.raises(PayloadError, match=rf"{payload_id}.*{field}"):
        validate_payload(payload_id, pl.DataFrame([row]))


def test_valid_rows_pass() -> None:
    assert validate_payload("time_series", pl.DataFrame([ROW]))[0]["mes"] == "2024-08-01"
    assert validate_payload("investment_roi", pl.DataFrame([ROI]))[0]["efficiency_ratio"] == 5.0
    label = QUALITY_LABELS["geo_unknown"]
    quality = pl.DataFrame([{"category": label, "count": 1, "percentage": 0.1}])
    assert validate_payload("eda_quality_stats", quality)[0]["category"] == "Geografía Desconocida"


def test_every_guardrail_has_a_readable_label() -> None:
    """A guardrail added to silver must get its Spanish label before gold can publish it."""
    from sec_assets.gold.labels import QUALITY_LABELS
    from sec_assets.silver.guardrails import GUARDRAILS

    assert set(GUARDRAILS) <= set(QUALITY_LABELS)

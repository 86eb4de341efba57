"""The codebook, generated from the contracts: every column of every published table and file
— the golden Parquet grains (:mod:`.grain_tables`), the research payloads
(:mod:`.research_tables`) and the dashboard's payloads (:data:`.contract.CONTRACT`, types from
their row models) — as ``docs/codebook.md`` (:func:`markdown`) and as Frictionless Table
Schemas (:func:`table_schema`, :func:`codebook_json`). ``python -m sec_assets codebook`` prints
the markdown; a test fails when the committed file differs from it.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import TYPE_CHECKING, Any

from sec_assets.gold.columns import BIASES, Column, FieldType, Table
from sec_assets.gold.contract import CONTRACT, DASHBOARD_TABLE
from sec_assets.gold.grain_tables import GRAINS
from sec_assets.gold.research_tables import RESEARCH

if TYPE_CHECKING:
    import polars as pl

TABLE_SCHEMA_PROFILE = "https://specs.frictionlessdata.io/schemas/table-schema.json"
_PY_TYPES: dict[type, FieldType] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dt.datetime: "datetime",
    dt.date: "date",
    list: "array",
}


def _field_type(annotation: Any) -> tuple[FieldType, bool]:
    """(Table Schema type, nullable) of a row model's annotation."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _field_type(inner[0])[0], True
    if origin is typing.Annotated:
        return _field_type(args[0])
    return _PY_TYPES[origin or annotation], False


def dashboard_tables() -> tuple[Table, ...]:
    """The dashboard's payloads as tables, their types read from their row models."""
    from sec_assets.gold.payloads import ROW_MODELS

    out = []
    for pid, spec in CONTRACT.items():
        fields = {f.alias or n: f for n, f in ROW_MODELS[pid].model_fields.items()}
        cols = []
        for f in spec.fields:
            kind, nullable = _field_type(fields[f.name].annotation)
            # The dashboard's unit text says what the field is and in what: it is the meaning.
            meaning, unit = (f.meaning, f.unit) if f.meaning else (f.unit, "")
            cols.append(
                Column(
                    f.name,
                    kind,
                    unit,
                    meaning,
                    f.derivation,
                    f.bias,
                    f.guardrail,
                    nullable or f.nullable,
                )
            )
        where = f"{DASHBOARD_TABLE} (Supabase) id '{pid}', or gold/dashboard_stats/{pid}.json"
        notes = f"Read by {', '.join(spec.charts)}" + (
            f"; filters: {spec.filters}" if spec.filters else ""
        )
        out.append(Table(pid, "dashboard payload", where, spec.rows, tuple(cols), notes=notes))
    return tuple(out)


def tables() -> tuple[Table, ...]:
    """Every published table: Parquet grains, research payloads, dashboard payloads."""
    return (*GRAINS, *RESEARCH, *dashboard_tables())


def table(table_id: str) -> Table:
    return next(t for t in tables() if t.id == table_id)


def polars_type(dtype: pl.DataType) -> FieldType:
    """The Table Schema type a Polars column is written as."""
    import polars as pl

    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "number"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, pl.List | pl.Array):
        return "array"
    simple: dict[type, FieldType] = {pl.Boolean: "boolean", pl.Date: "date", pl.String: "string"}
    return simple[type(dtype)]


def mismatches(t: Table, schema: pl.Schema) -> list[str]:
    """How a frame's (or a Parquet file's) columns differ from ``t``'s codebook entry: names,
    order and types; empty when they agree."""
    found = [(name, polars_type(dtype)) for name, dtype in schema.items()]
    expected = [(c.name, c.type) for c in t.columns]
    if found == expected:
        return []
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    out = [f"{t.id}: codebook column {n} ({k}) not in the data" for n, k in missing]
    out += [f"{t.id}: column {n} ({k}) not in the codebook" for n, k in extra]
    return out or [f"{t.id}: columns in another order than the codebook's"]


def table_schema(t: Table) -> dict[str, Any]:
    """``t`` as a Frictionless Table Schema (units, derivations, biases and guardrails as
    extra properties of each field)."""
    fields = []
    for c in t.columns:
        field: dict[str, Any] = {"name": c.name, "type": c.type, "description": c.meaning}
        extra = {"unit": c.unit, "derivation": c.derivation, "bias": c.bias}
        field |= {key: value for key, value in extra.items() if value}
        if c.guardrail:
            field["guardrail"] = c.guardrail
        if not c.nullable:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    # A Table Schema key holds no NULL: a key with a nullable column is stated in the notes.
    if t.primary_key and not any(t.column(c).nullable for c in t.primary_key):
        schema["primaryKey"] = list(t.primary_key)
    return schema


def codebook_json() -> dict[str, Any]:
    """Every table: its kind, location, grain, notes and Table Schema."""
    return {
        "profile": TABLE_SCHEMA_PROFILE,
        "biases": BIASES,
        "tables": [
            {
                "name": t.id,
                "kind": t.kind,
                "location": t.location,
                "grain": t.grain,
                "notes": t.notes,
                "schema": table_schema(t),
            }
            for t in tables()
        ],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _biases(text: str) -> str:
    """A column's biases, each shared one named (see the list at the top) instead of spelled."""
    for name, spelled in sorted(BIASES.items(), key=lambda b: -len(b[1])):
        text = text.replace(spelled, f"*{name}*")
    return text


HEADER = """# Codebook

Every column of every table and file sec_assets publishes: the golden Parquet grains, the
research payloads (`research_stats`, and a release bundle's research tables) and the
dashboard's payloads (`dashboard_stats`). Each column gives its type (Frictionless Table Schema
types), unit, meaning, how it is derived, its known biases and the guardrail or check that
counts it. A release bundle carries the same as JSON (`codebook.json`, `datapackage.json`;
see `docs/release.md`).

This file is generated from the contracts in code (`sec_assets/gold/contract.py`,
`grain_tables.py`, `research_tables.py`, the shared biases in `columns.py`):
`python -m sec_assets codebook > docs/codebook.md`. A test fails when it differs.

## Known biases

Named in the columns below by the word in italics.
"""


def markdown() -> str:
    lines = [HEADER]
    lines += [f"- *{name}*: {text}." for name, text in BIASES.items()]
    lines += ["", "## Tables", "", "| table | kind | one row is |", "|---|---|---|"]
    lines += [f"| [`{t.id}`](#{t.id}) | {t.kind} | {_cell(t.grain)} |" for t in tables()]
    for t in tables():
        lines += ["", f"## {t.id}", "", f"{t.kind.capitalize()}: {_cell(t.location)}.", ""]
        lines += [f"One row: {t.grain}."]
        if t.primary_key:
            lines += ["", f"Key: {', '.join(f'`{c}`' for c in t.primary_key)}."]
        if t.notes:
            lines += ["", f"{t.notes.rstrip('.')}."]
        lines += [
            "",
            "| column | type | unit | meaning | derivation | known biases | guardrail |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in t.columns:
            kind = c.type + (", null" if c.nullable else "")
            cells = (c.unit, c.meaning, c.derivation, _biases(c.bias), c.guardrail)
            lines.append(f"| `{c.name}` | {kind} | " + " | ".join(_cell(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"

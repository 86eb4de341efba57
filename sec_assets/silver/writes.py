"""The silver tables an asset writes, declared on its definition.

Each silver asset names the tables its materialization writes in its definition's metadata
(:func:`writes`): its own table first (also shown as ``dagster/table_name``), then the tables
written in the same transaction. Gold's lineage (:mod:`sec_assets.gold.lineage`) derives every
table's writer from these declarations and nothing else.
"""

from __future__ import annotations

import dagster as dg

WRITES = "silver/writes"  # the metadata key: the tables, as a JSON list


def writes(*tables: str) -> dict[str, dg.MetadataValue]:
    """Definition metadata of an asset writing ``tables`` (its own table first)."""
    if not tables:
        raise ValueError("an asset writes at least its own table")
    return {
        "dagster/table_name": dg.MetadataValue.text(f"silver.{tables[0]}"),
        WRITES: dg.MetadataValue.json(list(tables)),
    }


def written(spec: dg.AssetSpec) -> tuple[str, ...]:
    """The tables ``spec`` declares it writes (none when it declares nothing)."""
    value = spec.metadata.get(WRITES)
    if value is None:
        return ()
    data = value.value if isinstance(value, dg.MetadataValue) else value
    return tuple(data)

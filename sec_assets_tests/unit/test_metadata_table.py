"""Previews in metadata are Dagster tables with a column schema (sec_assets/metadata_table.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import polars as pl

from sec_assets.metadata_table import frame_table, rows_table


def test_a_frame_keeps_its_column_types_and_cells_become_plain_values() -> None:
    frame = pl.DataFrame(
        {
            "hour": [datetime(2024, 3, 1, 4), None],
            "customers": [12, 3],
            "share": [0.5, None],
            "capped": [True, False],
            "amount": [Decimal("1.50"), Decimal("2")],
        }
    )
    table = frame_table(frame, limit=1)
    assert [(c.name, c.type) for c in table.schema.columns] == [
        ("hour", "string"),
        ("customers", "int"),
        ("share", "float"),
        ("capped", "bool"),
        ("amount", "float"),
    ]
    [record] = table.records
    assert record.data == {
        "hour": "2024-03-01T04:00:00",
        "customers": 12,
        "share": 0.5,
        "capped": True,
        "amount": 1.5,
    }


def test_rows_follow_the_schema_order_and_missing_fields_are_null() -> None:
    table = rows_table([{"b": 1}], {"a": "string", "b": "int"})
    assert [c.name for c in table.schema.columns] == ["a", "b"]
    assert table.records[0].data == {"a": None, "b": 1}

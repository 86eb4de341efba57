"""The silver contracts' load order, and frames checked against a table before any SQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from sec_assets.warehouse import ReplaceStep, WarehouseError, WarehouseIntegrityError, ordered_ddl
from sec_assets.warehouse.frames import check_step, conform
from sec_assets.warehouse.schema import ForeignKey, TableInfo, kind_of, link_tables


def test_parents_come_before_the_tables_that_reference_them() -> None:
    order = [name for name, _ in ordered_ddl()]
    assert order.index("dim_tiempo") < order.index("snapshot_ledger")
    assert order.index("snapshot_ledger") < order.index("fact_interrupciones")
    for dim in ("dim_geografia", "dim_empresa", "dim_tiempo"):
        assert order.index(dim) < order.index("fact_eventos")


def write(root: Path, name: str, body: str) -> None:
    (root / f"{name}.sql").write_text(f"CREATE TABLE IF NOT EXISTS silver.{name} ({body});")


def test_a_foreign_key_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a", "id INT PRIMARY KEY, b INT REFERENCES silver.b (id)")
    write(tmp_path, "b", "id INT PRIMARY KEY, a INT REFERENCES silver.a (id)")
    with pytest.raises(WarehouseError, match="cycle"):
        ordered_ddl(tmp_path)


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ({"a": "CREATE TABLE IF NOT EXISTS silver.b (id INT);"}, "must create exactly"),
        (
            {"a": "CREATE TABLE IF NOT EXISTS silver.a (x INT REFERENCES silver.zz (id));"},
            "no file",
        ),
        ({}, "no silver contracts"),
    ],
)
def test_malformed_contract_folders_are_refused(tmp_path: Path, files: dict, error: str) -> None:
    for name, sql in files.items():
        (tmp_path / f"{name}.sql").write_text(sql)
    with pytest.raises(WarehouseError, match=error):
        ordered_ddl(tmp_path)


def tables() -> dict[str, TableInfo]:
    def info(name: str, cols: dict[str, str], pk: tuple[str, ...], fks=()) -> TableInfo:
        return TableInfo(
            name,
            tuple(cols),
            cols,
            {c: kind_of(t) for c, t in cols.items()},
            pk,
            foreign_keys=tuple(fks),
        )

    parent = info(
        "ledger",
        {
            "hour_key": "TEXT",
            "month": "TEXT",
            "at": "TIMESTAMP WITH TIME ZONE",
            "local": "TIMESTAMP",
        },
        ("hour_key",),
    )
    child = info(
        "facts",
        {"id": "TEXT", "hour_key": "TEXT", "month": "TEXT"},
        ("id",),
        [ForeignKey("facts", ("hour_key",), "ledger", ("hour_key",))],
    )
    return link_tables([parent, child])


def test_conform_orders_columns_and_makes_time_zones_explicit() -> None:
    frame = pl.DataFrame(
        {
            "local": [datetime(2024, 1, 1)],
            "at": [datetime(2024, 1, 1, 3)],
            "hour_key": ["2024-01-01T00"],
        }
    )
    out = conform(
        frame.with_columns(pl.col("at").dt.replace_time_zone("America/Santiago")),
        tables()["ledger"],
    )
    assert out.columns == ["hour_key", "at", "local"]
    assert out["at"].dtype == pl.Datetime("us", "UTC")
    assert out["at"][0].hour == 6  # 03:00 in Santiago (UTC-3)
    with pytest.raises(ValueError, match="no column"):
        conform(frame.with_columns(extra=pl.lit(1)), tables()["ledger"])


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (ReplaceStep("nope", pl.DataFrame({"x": [1]}), where={"month": "m"}), "no table"),
        (ReplaceStep("facts", pl.DataFrame({"id": ["a"]})), "needs where= or delete_in="),
        (ReplaceStep("facts", pl.DataFrame({"id": ["a"]}), where={"mes": "m"}), "no column"),
        (ReplaceStep("facts", pl.DataFrame({"id": ["a"]}), where={"month": None}), "None"),
        (ReplaceStep("facts", pl.DataFrame({"month": ["x"]}), where={"month": "m"}), "outside"),
        (
            ReplaceStep("ledger", pl.DataFrame({"month": ["m"]}), where={"month": "m"}),
            "primary-key",
        ),
    ],
)
def test_steps_are_checked_before_any_sql(step: ReplaceStep, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        check_step(step, tables())


def test_duplicate_keys_of_an_upserted_parent_are_refused() -> None:
    frame = pl.DataFrame({"hour_key": ["h", "h"], "month": ["m", "m"]})
    with pytest.raises(WarehouseIntegrityError, match="more than once"):
        check_step(ReplaceStep("ledger", frame, where={"month": "m"}), tables())


PER_MONTH = """-- storage duckdb: per_month
-- storage postgres: PARTITION BY LIST (month)
-- storage postgres: CHECK (month <> '')
CREATE TABLE IF NOT EXISTS silver.t (
    id    TEXT NOT NULL,
    month TEXT NOT NULL,
    PRIMARY KEY (id)
);
"""


def test_each_engine_renders_the_storage_clause_of_one_declaration(tmp_path: Path) -> None:
    (tmp_path / "t.sql").write_text(PER_MONTH)
    plain, duck, pg = (dict(ordered_ddl(tmp_path, e))["t"] for e in (None, "duckdb", "postgres"))
    assert "storage" not in plain and "PRIMARY KEY (id)\n);" in plain
    assert "CREATE TABLE IF NOT EXISTS silver.t__default (" in duck
    assert "CREATE VIEW IF NOT EXISTS silver.t AS\nSELECT * FROM silver.t__default;" in duck
    assert "PARTITION" not in duck and "CHECK" not in duck
    assert pg.endswith(
        "PRIMARY KEY (id, month),\n    CHECK (month <> '')\n) PARTITION BY LIST (month);\n"
    )


@pytest.mark.parametrize(
    ("storage", "error"),
    [
        ("-- storage oracle: per_month", "unknown engine"),
        ("-- storage duckdb: per_year", "must be 'per_month'"),
        ("-- storage postgres: PARTITION BY RANGE (month)", "PARTITION BY LIST"),
        ("-- storage duckdb: per_month\n-- x\n-- storage duckdb: per_month", "given twice"),
    ],
)
def test_malformed_storage_clauses_are_refused(tmp_path: Path, storage: str, error: str) -> None:
    (tmp_path / "t.sql").write_text(storage + "\n" + PER_MONTH.split("\n", 3)[3])
    with pytest.raises(WarehouseError, match=error):
        ordered_ddl(tmp_path)

"""What DuckDB itself does with keys, pinned (see ``sec_assets.warehouse.duckdb_engine``).

If a DuckDB upgrade lifts a limitation, the matching test fails: then the workaround in
``sec_assets.warehouse.replace`` can be simplified.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

DDL = """
CREATE SCHEMA s;
CREATE TABLE s.parent (k TEXT PRIMARY KEY, tiempo INTEGER NOT NULL UNIQUE, note TEXT);
CREATE TABLE s.child (id TEXT PRIMARY KEY, k TEXT NOT NULL REFERENCES s.parent (k), m TEXT);
INSERT INTO s.parent VALUES ('h1', 1, 'a'), ('h2', 2, 'b');
INSERT INTO s.child VALUES ('x', 'h1', '01'), ('y', 'h2', '01');
"""


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "quirks.duckdb"))
    connection.execute(DDL)
    yield connection
    connection.close()


def in_transaction(con: duckdb.DuckDBPyConnection, *statements: str) -> None:
    con.begin()
    try:
        for sql in statements:
            con.execute(sql).fetchall()
    except BaseException:
        con.rollback()
        raise
    con.commit()


def test_delete_then_reinsert_the_same_primary_key_works(con) -> None:
    in_transaction(
        con,
        "DELETE FROM s.child WHERE m = '01'",
        "INSERT INTO s.child VALUES ('x', 'h1', '01'), ('y', 'h2', '01')",
        "DELETE FROM s.child WHERE m = '01'",
        "INSERT INTO s.child VALUES ('x', 'h1', '01'), ('y', 'h2', '01')",
    )
    assert con.execute("SELECT count(*) FROM s.child").fetchone() == (2,)


def test_a_parent_cannot_be_deleted_in_the_transaction_that_deleted_its_children(con) -> None:
    with pytest.raises(duckdb.ConstraintException, match="still referenced"):
        in_transaction(con, "DELETE FROM s.child", "DELETE FROM s.parent WHERE k = 'h1'")
    in_transaction(con, "DELETE FROM s.child")  # committed first: then it works
    in_transaction(con, "DELETE FROM s.parent WHERE k = 'h1'")


def test_an_indexed_column_of_a_referenced_row_cannot_be_updated(con) -> None:
    with pytest.raises(duckdb.ConstraintException, match="still referenced"):
        in_transaction(con, "UPDATE s.parent SET tiempo = tiempo WHERE k = 'h1'")  # same value


def test_other_columns_of_a_referenced_row_can_be_upserted(con) -> None:
    in_transaction(
        con,
        "DELETE FROM s.child WHERE m = '01'",
        "INSERT INTO s.parent VALUES ('h1', 1, 'new'), ('h3', 3, 'c') "
        "ON CONFLICT (k) DO UPDATE SET note = excluded.note",
        "INSERT INTO s.child VALUES ('x', 'h1', '01')",
    )
    assert con.execute("SELECT note FROM s.parent ORDER BY k").fetchall() == [
        ("new",),
        ("b",),
        ("c",),
    ]

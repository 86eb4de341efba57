"""silver.comuna_daily_customers, the facts folded to a row per day and comuna over the valid
hours: written with a month's observations, equal to the same fold computed by SQL over the
stored facts and ledger, replaced with its month, filled once from what a warehouse holds
when the table is new to it, and moved to its per-month storage from the one table an older
warehouse holds. Both engines."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import polars as pl
import psycopg
import pytest
from polars.testing import assert_frame_equal

from sec_assets.silver.transform import daily_customers
from sec_assets.sql_files import silver_migrations_dir
from sec_assets.warehouse import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets.warehouse.migrations import read_migrations
from sec_assets.warehouse.schema import ordered_contracts
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

ORDER = ["dia", "geografia_id"]
# The fold by SQL over what is stored: the migration's own SELECT.
[_FILL] = [
    f for f in read_migrations(silver_migrations_dir())[1] if f.table == "comuna_daily_customers"
]
FOLD_SQL = _FILL.sql.split(")", 1)[1]


def _month(month: str, *, bump: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two days of facts; of the ledger's hours, the 3rd is failed and the 5th degraded (their
    facts do not count), the rest ok."""
    ledger = support.ledger(month, hours=48).with_columns(
        status=pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit("failed"))
        .when(pl.int_range(pl.len()) == 4)
        .then(pl.lit("degraded"))
        .otherwise(pl.col("status"))
    )
    return ledger, support.facts(month, hours=48, bump=bump)


def _steps(month: str, ledger: pl.DataFrame, facts: pl.DataFrame) -> list[ReplaceStep]:
    where = {"month": month}
    return [
        ReplaceStep("snapshot_ledger", ledger, where=where),
        ReplaceStep("fact_interrupciones", facts, where=where),
        ReplaceStep("comuna_daily_customers", daily_customers(facts, ledger), where=where),
    ]


def fold_matches_the_facts(wh: Warehouse) -> None:
    """The stored fold equals the same fold computed by SQL over the stored facts and ledger
    (for the tests that load months through the assets)."""
    _same(_stored(wh), _by_sql(wh))


def _stored(wh: Warehouse) -> pl.DataFrame:
    return wh.read(
        "SELECT month, dia, geografia_id, customers_sum FROM silver.comuna_daily_customers"
    ).sort(ORDER)


def _by_sql(wh: Warehouse) -> pl.DataFrame:
    return wh.read(f"SELECT * FROM ({FOLD_SQL}) AS q").sort(ORDER)


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    cast = {"customers_sum": pl.Int64, "geografia_id": pl.Int32}
    assert_frame_equal(a.cast(cast), b.select(a.columns).cast(cast))


def test_the_fold_counts_the_valid_hours_only_and_matches_sql(seeded: Warehouse) -> None:
    ledger, facts = _month("2024-01")
    seeded.replace_many(_steps("2024-01", ledger, facts))
    stored = _stored(seeded)
    _same(stored, _by_sql(seeded))
    assert stored.height == 2 * 8  # two days, eight comunas
    ok = ledger.filter(pl.col("status") == "ok")["hour_key"]
    expected = facts.filter(pl.col("hour_key").is_in(ok.implode()))["clientes_afectados"].sum()
    assert stored["customers_sum"].sum() == expected < facts["clientes_afectados"].sum()


def test_the_fold_is_replaced_with_its_month_and_leaves_the_others(seeded: Warehouse) -> None:
    for month in ("2024-01", "2024-02"):
        seeded.replace_many(_steps(month, *_month(month)))
    before = _stored(seeded).filter(pl.col("month") == "2024-01")
    ledger, facts = _month("2024-02", bump=1000)
    seeded.replace_many(_steps("2024-02", ledger, facts))
    after = _stored(seeded)
    _same(after, _by_sql(seeded))
    _same(after.filter(pl.col("month") == "2024-01"), before)
    assert after.filter(pl.col("month") == "2024-02")["customers_sum"].min() >= 1000


def _drop_the_fold(wh: Warehouse) -> None:
    """As if the warehouse predated the table: its storage dropped, month tables and all."""
    if wh.engine == "postgres":
        wh.execute("DROP TABLE silver.comuna_daily_customers")  # its partitions with it
        return
    parts = wh.read(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'silver' "
        "AND starts_with(table_name, 'comuna_daily_customers__')"
    )["table_name"]
    wh.execute("DROP VIEW silver.comuna_daily_customers")
    for name in parts:
        wh.execute(f"DROP TABLE silver.{name}")


def test_the_fold_is_stored_a_table_per_month(seeded: Warehouse) -> None:
    assert seeded.tables()["comuna_daily_customers"].partition_by == ("month",)


def test_a_warehouse_from_before_the_table_gets_it_filled_once(seeded: Warehouse) -> None:
    for month in ("2024-01", "2024-02"):
        ledger, facts = _month(month)
        seeded.replace_many(_steps(month, ledger, facts)[:2])  # as before the table existed
    _drop_the_fold(seeded)
    seeded.ensure_schema()
    filled = _stored(seeded)
    assert filled.height == 2 * 2 * 8
    _same(filled, _by_sql(seeded))
    seeded.ensure_schema()  # the table exists now: no second fill, no duplicate
    _same(_stored(seeded), filled)
    ledger, facts = _month("2024-03", bump=5)
    seeded.replace_many(_steps("2024-03", ledger, facts))  # later months write it themselves
    _same(_stored(seeded), _by_sql(seeded))


def test_a_warehouse_holding_the_fold_as_one_table_gets_it_moved_per_month(
    seeded: Warehouse,
) -> None:
    """A warehouse created when the table was one table: ensure_schema moves its rows, as they
    are (not recomputed), into the per-month storage; a month loaded afterwards replaces its own
    rows and no other."""
    for month in ("2024-01", "2024-02"):
        seeded.replace_many(_steps(month, *_month(month))[:2])
    _drop_the_fold(seeded)
    (plain,) = [c.ddl(None) for c in ordered_contracts() if c.name == "comuna_daily_customers"]
    seeded.execute(plain)  # the table as declared, stored plainly: the older warehouse
    assert not seeded.tables(refresh=True)["comuna_daily_customers"].partition_by
    old = pl.concat(
        [daily_customers(f, led) for led, f in (_month("2024-01"), _month("2024-02"))]
    ).with_columns(pl.col("customers_sum") + 7)  # marked: moved, not recomputed
    seeded.replace_many(
        [
            ReplaceStep("comuna_daily_customers", part, where={"month": month})
            for (month,), part in old.partition_by("month", as_dict=True).items()
        ]
    )

    seeded.ensure_schema()
    assert seeded.tables()["comuna_daily_customers"].partition_by == ("month",)
    moved = _stored(seeded)
    _same(moved, old.sort(ORDER))
    seeded.ensure_schema()  # nothing more to move
    _same(_stored(seeded), moved)

    ledger, facts = _month("2024-02", bump=1000)
    seeded.replace_many(_steps("2024-02", ledger, facts))
    after = _stored(seeded)
    _same(after.filter(pl.col("month") == "2024-01"), moved.filter(pl.col("month") == "2024-01"))
    _same(
        after.filter(pl.col("month") == "2024-02"),
        _by_sql(seeded).filter(pl.col("month") == "2024-02"),
    )
    assert after.height == moved.height  # 2024-02 replaced, not added to


def test_a_load_writing_the_one_table_while_it_is_moved_is_not_lost(
    pg_session_database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Postgres (on DuckDB the file lock keeps every other writer out already): a load of an
    older process has replaced a month of the one table and not yet committed when
    ensure_schema moves it. The move waits for that load (its table lock) and moves what it
    committed: nothing of it is lost, nothing it deleted comes back."""
    seeded = support.make_warehouse("postgres", request, tmp_path, "seeded")
    _drop_the_fold(seeded)
    (plain,) = [c.ddl(None) for c in ordered_contracts() if c.name == "comuna_daily_customers"]
    seeded.execute(plain)
    geo = support.geo_ids(1)[0]
    seeded.execute(
        f"INSERT INTO silver.comuna_daily_customers VALUES ('2024-01', '2024-01-01', {geo}, 1)"
    )
    with psycopg.connect(pg_session_database) as load:  # the older process, mid-transaction
        load.execute("DELETE FROM silver.comuna_daily_customers WHERE month = '2024-01'")
        load.execute(
            "INSERT INTO silver.comuna_daily_customers VALUES "
            f"('2024-01', '2024-01-01', {geo}, 999), ('2024-01', '2024-01-02', {geo}, 5)"
        )
        failures: list[BaseException] = []

        def ensure() -> None:
            try:
                seeded.ensure_schema()
            except BaseException as exc:  # reported by the test below
                failures.append(exc)

        mover = threading.Thread(target=ensure)
        mover.start()
        # Commit only once the move waits for the load's lock (no sleep: poll the server).
        with psycopg.connect(pg_session_database, autocommit=True) as watch:
            while mover.is_alive():
                (waiting,) = watch.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE NOT l.granted AND c.relname = 'comuna_daily_customers'"
                ).fetchone() or (0,)
                if waiting:
                    break
                time.sleep(0.02)  # a poll's pause, not a wait for an outcome
        load.commit()
        mover.join(timeout=120)
    assert not mover.is_alive() and not failures, failures
    assert seeded.tables()["comuna_daily_customers"].partition_by == ("month",)
    got = _stored(seeded)
    assert got["customers_sum"].to_list() == [999, 5]

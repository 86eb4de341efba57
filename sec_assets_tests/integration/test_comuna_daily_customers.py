"""silver.comuna_daily_customers, the facts folded to a row per day and comuna over the valid
hours: written with a month's observations, equal to the same fold computed by SQL over the
stored facts and ledger, replaced with its month, and filled once from what a warehouse holds
when the table is new to it. Both engines."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from sec_assets.silver.transform import daily_customers
from sec_assets.sql_files import silver_migrations_dir
from sec_assets.warehouse import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets.warehouse.migrations import read_migrations
from sec_assets_tests.integration import test_warehouse_support as support

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

ORDER = ["dia", "geografia_id"]
# The fold by SQL over what is stored: the migration's own SELECT.
(_FILL,) = read_migrations(silver_migrations_dir())[1]
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


def test_a_warehouse_from_before_the_table_gets_it_filled_once(seeded: Warehouse) -> None:
    for month in ("2024-01", "2024-02"):
        ledger, facts = _month(month)
        seeded.replace_many(_steps(month, ledger, facts)[:2])  # as before the table existed
    seeded.execute("DROP TABLE silver.comuna_daily_customers")
    seeded.ensure_schema()
    filled = _stored(seeded)
    assert filled.height == 2 * 2 * 8
    _same(filled, _by_sql(seeded))
    seeded.ensure_schema()  # the table exists now: no second fill, no duplicate
    _same(_stored(seeded), filled)
    ledger, facts = _month("2024-03", bump=5)
    seeded.replace_many(_steps("2024-03", ledger, facts))  # later months write it themselves
    _same(_stored(seeded), _by_sql(seeded))

"""Postgres plans gold's joins on statistics: a replace leaves what it wrote analyzed (the month's
own table of a table stored per month), so a read right after a bulk load is not planned on
empty-table estimates. A series of replaces analyzes once, at its end."""

from __future__ import annotations

import pytest

from sec_assets.warehouse import ReplaceStep, Warehouse
from sec_assets.warehouse.postgres_engine import MONTH_STATISTICS_TARGET
from sec_assets_tests.integration import test_warehouse_support as support
from sec_assets_tests.integration.test_warehouse_support import facts, ledger

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

# DuckDB keeps its own statistics: these run on Postgres only.
POSTGRES_ONLY = pytest.mark.parametrize("engine", ["postgres"], indirect=True)
ANALYZED = """SELECT relname, last_analyze IS NOT NULL AS analyzed
              FROM pg_stat_user_tables WHERE schemaname = 'silver'"""


def _analyzed(wh: Warehouse) -> dict[str, bool]:
    return dict(wh.read(ANALYZED).iter_rows())


def _month(month: str) -> list[ReplaceStep]:
    where = {"month": month}
    return [
        ReplaceStep("snapshot_ledger", ledger(month, hours=24), where=where),
        ReplaceStep("fact_interrupciones", facts(month), where=where),
    ]


@POSTGRES_ONLY
def test_a_replace_leaves_what_it_wrote_analyzed(seeded: Warehouse) -> None:
    seeded.replace_many(_month("2024-01"))
    stats = _analyzed(seeded)
    assert stats["snapshot_ledger"] and stats["fact_interrupciones__2024_01"], stats
    assert not stats.get("guardrail_counts"), "only what the replace wrote is analyzed"


@POSTGRES_ONLY
def test_a_series_of_replaces_is_analyzed_at_its_end(seeded: Warehouse) -> None:
    series = seeded.replace_each([_month("2024-01"), _month("2024-02")])
    next(series)
    assert not _analyzed(seeded).get("fact_interrupciones__2024_01"), "deferred to the end"
    list(series)
    stats = _analyzed(seeded)
    assert stats["fact_interrupciones__2024_01"] and stats["fact_interrupciones__2024_02"], stats


@POSTGRES_ONLY
def test_a_months_table_is_sampled_coarser_than_other_tables(seeded: Warehouse) -> None:
    """A month's table is analyzed at MONTH_STATISTICS_TARGET (a quarter of the cost); the
    other tables keep the server's default, and the setting does not leak to the session."""
    where = {"month": "2024-01"}
    seeded.replace_many(
        [
            ReplaceStep("snapshot_ledger", ledger("2024-01", hours=None), where=where),
            ReplaceStep("fact_interrupciones", facts("2024-01", hours=None), where=where),
        ]
    )
    bounds = dict(
        seeded.read(
            "SELECT tablename, cardinality(histogram_bounds::text::text[]) AS n FROM pg_stats "
            "WHERE schemaname = 'silver' AND attname = 'hour_key'"
        ).iter_rows()
    )
    assert bounds["fact_interrupciones__2024_01"] <= MONTH_STATISTICS_TARGET + 1, bounds
    assert bounds["snapshot_ledger"] > MONTH_STATISTICS_TARGET + 1, bounds
    with seeded.session():  # the session's connection keeps the server's default
        seeded.replace_many([ReplaceStep("fact_interrupciones", facts("2024-01"), where=where)])
        target = seeded.read("SELECT current_setting('default_statistics_target') AS t")
    assert target["t"].item() == "100"

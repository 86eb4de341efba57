"""The planner's statistics of what a Postgres replace wrote (ANALYZE after the commit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from sec_assets.warehouse.partitions import partition_table
from sec_assets.warehouse.postgres_tx import mapped_errors
from sec_assets.warehouse.replace import Plan, swaps_partition
from sec_assets.warehouse.schema import SCHEMA, quote

MONTH_STATISTICS_TARGET = 30  # ANALYZE of a month's table (the server's default is 100)


def statistics_due(plans: Sequence[Plan]) -> tuple[list[str], list[str]]:
    """(Tables, month tables) whose statistics a replace of ``plans`` made stale. Autovacuum
    analyzes a bulk-loaded table only later (and never a partitioned parent), so gold, which
    reads right after a load, would plan its joins on empty-table estimates: nested loops over
    a million facts. A table stored per month gets its new month's table analyzed, not the
    parent (that would sample every month, a cost growing with the history)."""
    tables: dict[str, None] = {}
    months: dict[str, None] = {}
    for step, info in plans:
        if not info.partition_by:
            tables[f"{quote(SCHEMA)}.{quote(info.name)}"] = None
        elif swaps_partition(step, info):
            months[f"{quote(SCHEMA)}.{quote(partition_table(info, step.where))}"] = None
    return list(tables), list(months)


def analyze(conn: psycopg.Connection[Any], tables: Sequence[str], months: Sequence[str]) -> None:
    """ANALYZE ``tables`` and the month tables ``months`` on ``conn`` (autocommit: ANALYZE of
    several tables takes each in a transaction of its own; in one transaction, two loads
    analyzing the shared tables deadlock on their locks).

    A month's table is sampled at :data:`MONTH_STATISTICS_TARGET` (9,000 rows, 30 histogram
    buckets: about a day each), not the default 100 (30,000 rows): its ANALYZE costs less, and
    the planner needs its row count and the spread of a few join keys, not fine histograms of
    md5 text (docs/benchmarks.md)."""
    with mapped_errors():
        if tables:
            conn.execute(f"ANALYZE {', '.join(tables)}")
        if months:
            conn.execute(f"SET default_statistics_target = {MONTH_STATISTICS_TARGET}")
            try:
                conn.execute(f"ANALYZE {', '.join(months)}")
            finally:
                conn.execute("RESET default_statistics_target")

"""``silver.month_checks``: the latest verdict of every asset check on every month, so that
gold (and researchers) can tell which months passed their blocking checks without asking the
Dagster instance. Written by :func:`sec_assets.silver.checks.run_check`."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.frames import ReplaceStep


def record_check(
    wh: Warehouse,
    month: str,
    *,
    check_name: str,
    asset: str,
    blocking: bool,
    passed: bool,
    failing_rows: int,
    now: datetime | None = None,
) -> None:
    """Replace the month's row of ``check_name`` by this verdict."""
    frame = pl.DataFrame(
        {
            "month": [month],
            "check_name": [check_name],
            "asset": [asset],
            "blocking": [blocking],
            "passed": [passed],
            "failing_rows": [int(failing_rows)],
            "evaluated_at": [now or datetime.now(UTC)],
        },
        schema_overrides={"evaluated_at": pl.Datetime("us", "UTC")},
    )
    wh.replace_many(
        [ReplaceStep("month_checks", frame, where={"month": month, "check_name": check_name})]
    )

"""``silver.month_checks``: the latest verdict of every asset check on every month, so that
gold (and researchers) can tell which months passed their blocking checks without asking the
Dagster instance. Written by :func:`sec_assets.silver.checks.run_check`."""

from __future__ import annotations

from datetime import UTC, datetime

from sec_assets.warehouse.base import Warehouse

DELETE = "DELETE FROM silver.month_checks WHERE month = :month AND check_name = :check_name"
INSERT = """
INSERT INTO silver.month_checks
    (month, check_name, asset, blocking, passed, failing_rows, evaluated_at)
VALUES (:month, :check_name, :asset, :blocking, :passed, :failing_rows, :evaluated_at)
"""


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
    """Replace the month's row of ``check_name`` by this verdict: plain statements, the same
    SQL on both engines (they also run inside a warehouse session). Should a crash fall between
    the delete and the insert, the month has no verdict for the check and gold leaves it out
    until the check runs again: the safe side."""
    key = {"month": month, "check_name": check_name}
    wh.execute(DELETE, key)
    wh.execute(
        INSERT,
        {
            "month": month,
            "check_name": check_name,
            "asset": asset,
            "blocking": blocking,
            "passed": passed,
            "failing_rows": int(failing_rows),
            "evaluated_at": now or datetime.now(UTC),
        },
    )

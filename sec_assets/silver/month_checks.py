"""``silver.month_checks``: the latest verdict of every asset check on every month, so that
gold (and researchers) can tell which months passed their blocking checks without asking the
Dagster instance. Written by :func:`sec_assets.silver.checks.run_check`."""

from __future__ import annotations

from datetime import UTC, datetime

from sec_assets.warehouse.base import Warehouse

UPSERT = """
INSERT INTO silver.month_checks
    (month, check_name, asset, blocking, passed, failing_rows, evaluated_at)
VALUES (:month, :check_name, :asset, :blocking, :passed, :failing_rows, :evaluated_at)
ON CONFLICT (month, check_name) DO UPDATE SET
    asset = excluded.asset, blocking = excluded.blocking, passed = excluded.passed,
    failing_rows = excluded.failing_rows, evaluated_at = excluded.evaluated_at
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
    """Replace the month's row of ``check_name`` by this verdict: one upsert statement (the
    same SQL on both engines), so it also runs inside a warehouse session."""
    wh.execute(
        UPSERT,
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

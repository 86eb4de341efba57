"""``silver.month_checks``: the latest verdict of every asset check on every month, so that
gold (and researchers) can tell which months passed their blocking checks without asking the
Dagster instance. Written by :mod:`sec_assets.silver.checks`: a month's (or a range's) verdicts
of one asset in one replace, or one check's verdict alone."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.frames import ReplaceStep

SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Utf8(),
    "check_name": pl.Utf8(),
    "asset": pl.Utf8(),
    "blocking": pl.Boolean(),
    "passed": pl.Boolean(),
    "failing_rows": pl.Int64(),
    "evaluated_at": pl.Datetime("us", "UTC"),
}


def forget(month: str) -> ReplaceStep:
    """The step that drops the month's verdicts, in the transaction that reloads the month:
    a run that reloads a month and dies before its checks leaves it unchecked (left out of
    gold), never with the previous load's verdict."""
    return ReplaceStep("month_checks", pl.DataFrame(schema=SCHEMA), where={"month": month})


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


def record_verdicts(
    wh: Warehouse, asset: str, verdicts: list[dict[str, object]], now: datetime | None = None
) -> None:
    """Replace every verdict of ``asset`` on the verdicts' months by these, in one replace:
    one write for a month's checks, or for a whole range of months."""
    if not verdicts:
        return
    at = now or datetime.now(UTC)
    frame = pl.DataFrame([{**v, "evaluated_at": at} for v in verdicts], schema=SCHEMA)
    months = sorted(set(frame["month"].to_list()))
    wh.replace_many(
        [ReplaceStep("month_checks", frame, where={"asset": asset}, delete_in=("month", months))]
    )

"""``silver.month_checks``: the latest verdict of every asset check on every month, so that
gold (and researchers) can tell which months passed their blocking checks without asking the
Dagster instance. Written by :mod:`sec_assets.silver.checks`: a month's (or a range's) verdicts
of one asset in one replace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.frames import ReplaceStep

if TYPE_CHECKING:
    import polars as pl


def schema() -> dict[str, pl.DataType]:
    """The columns of ``silver.month_checks`` and their dtypes."""
    import polars as pl

    return {
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
    import polars as pl

    return ReplaceStep("month_checks", pl.DataFrame(schema=schema()), where={"month": month})


def record_verdicts(
    wh: Warehouse,
    asset: str,
    verdicts: list[dict[str, object]],
    now: datetime | None = None,
    *,
    only: bool = False,
) -> None:
    """Replace every verdict of ``asset`` on the verdicts' months by these, in one replace:
    one write for a month's checks, or for a whole range of months. With ``only`` (some of the
    asset's checks run alone), the other checks' verdicts on those months stay."""
    import polars as pl

    if not verdicts:
        return
    at = now or datetime.now(UTC)
    frame = pl.DataFrame([{**v, "evaluated_at": at} for v in verdicts], schema=schema())
    months = sorted(set(frame["month"].to_list()))
    if not only:
        steps = [ReplaceStep("month_checks", frame, {"asset": asset}, ("month", months))]
    else:
        steps = [
            ReplaceStep(
                "month_checks",
                frame.filter(pl.col("check_name") == name),
                {"asset": asset, "check_name": name},
                ("month", months),
            )
            for name in sorted(set(frame["check_name"].to_list()))
        ]
    wh.replace_many(steps)

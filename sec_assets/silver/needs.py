"""What a check needs before it can say anything, and the one rule every check follows.

Every asset check declares a :class:`Need`: the rows it examines (the month's observations, its
ledger hours, its episodes, the customer counts the month's cap used …). :func:`guarded`
evaluates that query first: with nothing to examine, the check does not run and does not pass:
it fails (a blocking check) or warns (a WARN check), saying what is missing. Every result's
metadata carries ``rows_examined``, so a pass always says over how many rows it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import dagster as dg

EXAMINED = "rows_examined"


@dataclass(frozen=True)
class Need:
    what: str  # what the check examines, e.g. "the month's observations"
    sql: str  # selects those rows; may use :month


def examined(wh, need: Need, params: Mapping[str, object], months: Sequence[str] | None) -> int:
    """How many rows ``need`` finds for the month."""
    used = {k: v for k, v in params.items() if f":{k}" in need.sql}
    sql = f"SELECT COUNT(*) AS n FROM ({need.sql}) q"
    return int(wh.read(sql, used, months=months)["n"].item())


def examined_and_selected(
    wh, need: Need, sql: str, params: Mapping[str, object], months: Sequence[str] | None
) -> tuple[int, int]:
    """How many rows ``need`` finds for the month and how many ``sql`` selects, in one query: a
    check's two counts for the price of one statement."""
    used = {k: v for k, v in params.items() if f":{k}" in need.sql or f":{k}" in sql}
    both = (
        f"SELECT (SELECT COUNT(*) FROM ({need.sql}) q) AS examined, "
        f"(SELECT COUNT(*) FROM ({sql}) q) AS selected"
    )
    row = wh.read(both, used, months=months).row(0, named=True)
    return int(row["examined"]), int(row["selected"])


def unmet(
    name: str, asset: str, need: Need, month: str, severity: dg.AssetCheckSeverity
) -> dg.AssetCheckResult:
    """The result of a check with nothing to examine: not passed, saying what is missing."""
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=False,
        severity=severity,
        description=f"{month}: not checked, 0 rows examined: needs {need.what}, none found",
        metadata={
            EXAMINED: dg.MetadataValue.int(0),
            "failing_rows": dg.MetadataValue.int(0),
            "missing": dg.MetadataValue.text(need.what),
        },
    )


def guarded(
    name: str,
    asset: str,
    need: Need,
    severity: dg.AssetCheckSeverity,
    wh,
    month: str,
    params: Mapping[str, object],
    evaluate: Callable[[int], dg.AssetCheckResult],
    months: Sequence[str] | None = None,
    rows_examined: int | None = None,
) -> dg.AssetCheckResult:
    """``evaluate(rows_examined)`` when ``need`` finds rows for the month, else :func:`unmet`;
    either way the metadata carries ``rows_examined`` (counted here unless given)."""
    n = (
        examined(wh, need, {**params, "month": month}, months)
        if rows_examined is None
        else rows_examined
    )
    if n == 0:
        return unmet(name, asset, need, month, severity)
    result = evaluate(n)
    return result._replace(metadata={**(result.metadata or {}), EXAMINED: dg.MetadataValue.int(n)})

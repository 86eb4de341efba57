"""Which months gold may count: those whose blocking checks all passed on their latest
evaluation (``silver.month_checks``). A month with a failed blocking check, or one whose
blocking checks were not all evaluated (a run stopped before them), is left out of every
payload, the golden Parquet and ``gold.recent_30d``; ``data_coverage`` and the gold assets'
metadata list it with the reason.

Gold SQL models read the monthly silver tables as ``checked.<table>`` (always with an alias);
:func:`checked_sql` rewrites that to the table restricted to trusted months.
"""

from __future__ import annotations

import re

import polars as pl

from sec_assets.silver.checks import CHECKS
from sec_assets.warehouse.base import Warehouse

BLOCKING = tuple(c.name for c in CHECKS if c.blocking)
_CHECKED = re.compile(
    r"\bchecked\.(fact_eventos|fact_interrupciones|snapshot_ledger|"
    r"region_customers|guardrail_counts)\b"
)


def trusted_months_sql() -> str:
    names = ", ".join(f"'{n}'" for n in BLOCKING)
    return (
        "SELECT month FROM silver.month_checks "
        f"WHERE check_name IN ({names}) GROUP BY month "
        f"HAVING COUNT(*) = {len(BLOCKING)} "
        "AND SUM(CASE WHEN passed THEN 0 ELSE 1 END) = 0"
    )


def checked_sql(sql: str) -> str:
    """``checked.<table>`` → ``(silver.<table> of the trusted months)``."""
    months = trusted_months_sql()
    return _CHECKED.sub(
        lambda m: f"(SELECT * FROM silver.{m.group(1)} WHERE month IN ({months}))", sql
    )


def month_verdicts(wh: Warehouse) -> pl.DataFrame:
    """One row per month of the ledger: ``month``, ``included`` and the ``reason`` when not."""
    months = wh.read("SELECT DISTINCT month FROM silver.snapshot_ledger")
    checks = wh.read(
        "SELECT month, check_name, passed, failing_rows FROM silver.month_checks"
    ).filter(pl.col("check_name").is_in(BLOCKING))
    rows = []
    by_month = {m: g for (m,), g in checks.group_by("month")} if checks.height else {}
    for month in sorted(months["month"].to_list()):
        rows.append((month, *_verdict(by_month.get(month))))
    return pl.DataFrame(
        rows,
        schema={"month": pl.String, "included": pl.Boolean, "reason": pl.String},
        orient="row",
    )


def _verdict(checks: pl.DataFrame | None) -> tuple[bool, str | None]:
    seen = {} if checks is None else {r["check_name"]: r for r in checks.iter_rows(named=True)}
    failed = [
        f"{n} ({seen[n]['failing_rows']} rows)"
        for n in BLOCKING
        if n in seen and not seen[n]["passed"]
    ]
    missing = [n for n in BLOCKING if n not in seen]
    if failed:
        return False, "blocking check(s) failed on the latest evaluation: " + ", ".join(failed)
    if missing:
        return False, "blocking check(s) not evaluated: " + ", ".join(missing)
    return True, None


def excluded_months(wh: Warehouse) -> dict[str, str]:
    """Month → reason, for every month gold leaves out."""
    v = month_verdicts(wh).filter(~pl.col("included"))
    return dict(zip(v["month"].to_list(), v["reason"].to_list(), strict=True))

"""Which months gold may count: those whose blocking checks all passed on their latest
evaluation (``silver.month_checks``). A month with a failed blocking check, or one whose
blocking checks were not all evaluated (a run stopped before them), is left out of every
payload, the golden Parquet and ``gold.recent_30d``; ``data_coverage`` and the gold assets'
metadata list it with the reason.

Gold SQL reads the monthly silver tables for those months only through its refs
(:mod:`sec_assets.gold.refs`); here, every month of the ledger gets its verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sec_assets.gold.models import Inputs
from sec_assets.gold.refs import BLOCKING, render
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.params import in_list

if TYPE_CHECKING:
    import polars as pl

MONTHS_SQL = "SELECT DISTINCT month FROM {{ ref('snapshot_ledger', months='all') }}"
VERDICTS_SQL = "SELECT month, check_name, passed, failing_rows FROM {{ ref('month_checks') }}"
# What month_verdicts reads (data_coverage shows it).
INPUTS = Inputs(queries={"ledger_months": MONTHS_SQL, "month_verdicts": VERDICTS_SQL})


def month_verdicts(wh: Warehouse, months: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per month of the ledger (of ``months`` only, if given: a month's step need not
    read the whole history's): ``month``, ``included`` and the ``reason`` when not."""
    import polars as pl

    where, params = "", None
    if months is not None:
        marks, params = in_list("m", months)
        where = f" WHERE month IN {marks}"

    def read(sql: str) -> pl.DataFrame:
        return wh.read(f"SELECT * FROM ({render(sql)}) AS q{where}", params)

    ledger = read(MONTHS_SQL)
    checks = read(VERDICTS_SQL)
    checks = checks.filter(pl.col("check_name").is_in(BLOCKING))
    rows = []
    by_month = {m: g for (m,), g in checks.group_by("month")} if checks.height else {}
    for month in sorted(ledger["month"].to_list()):
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


def excluded_months(wh: Warehouse, months: Sequence[str] | None = None) -> dict[str, str]:
    """Month → reason, for every month gold leaves out (among ``months``, if given)."""
    import polars as pl

    v = month_verdicts(wh, months).filter(~pl.col("included"))
    return dict(zip(v["month"].to_list(), v["reason"].to_list(), strict=True))

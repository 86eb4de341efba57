"""The ``{{ ref('table') }}`` marker by which gold SQL names the silver tables it reads.

Gold SQL (the models in ``dbt_like_sql/models/`` and the few queries in gold's Python) never
names a silver relation itself: :func:`render` turns each marker into the relation gold reads
(a monthly table: only the months whose blocking checks passed), so that the tables a query
reads are known (:func:`reads`) and become its asset's lineage (:mod:`sec_assets.gold.lineage`).
A ref to a table without a contract, a marker that is not a ref, or a silver relation named
outside a marker is refused with the offending text.
"""

from __future__ import annotations

import re
from functools import cache

from sec_assets.silver.checks import CHECKS
from sec_assets.sql_files import contracts_dir

BLOCKING = tuple(c.name for c in CHECKS if c.blocking)
# The silver tables stored per month that gold reads only for the months it trusts.
MONTHLY = (
    "fact_eventos",
    "fact_interrupciones",
    "snapshot_ledger",
    "region_customers",
    "guardrail_counts",
    "comuna_daily_customers",
    "customer_caps",
)
GATE = "month_checks"  # the table of verdicts behind the trusted months

_REF = re.compile(r"\{\{\s*ref\(\s*'(\w+)'\s*(?:,\s*months\s*=\s*'(\w+)'\s*)?\)\s*\}\}")
_MARKER = re.compile(r"\{\{.*?\}\}", re.S)
_COMMENT = re.compile(r"--[^\n]*")
_NAMED = re.compile(r"\b(?:silver|checked)\.\w+", re.I)


class RefError(ValueError):
    """Gold SQL whose inputs cannot be told: an unknown table or a malformed marker."""


@cache
def silver_tables() -> frozenset[str]:
    """Every silver table with a contract: what a ref may name."""
    return frozenset(p.stem for p in contracts_dir().glob("*.sql"))


def trusted_months_sql() -> str:
    """The months whose blocking checks all passed on their latest evaluation."""
    names = ", ".join(f"'{n}'" for n in BLOCKING)
    return (
        f"SELECT month FROM silver.{GATE} "
        f"WHERE check_name IN ({names}) GROUP BY month "
        f"HAVING COUNT(*) = {len(BLOCKING)} "
        "AND SUM(CASE WHEN passed THEN 0 ELSE 1 END) = 0"
    )


def refs(sql: str, *, where: str = "gold SQL") -> list[tuple[str, bool]]:
    """``(table, trusted months only)`` for every ref of ``sql``, in order; refuses what
    would hide an input (see the module's docstring). ``where`` names the SQL in errors."""
    code = _COMMENT.sub("", sql)
    named = _NAMED.findall(_MARKER.sub("", code))
    if named:
        raise RefError(
            f"{where} names {sorted(set(named))} directly: write {{{{ ref('<table>') }}}} instead"
        )
    found = []
    for marker in _MARKER.finditer(code):
        m = _REF.fullmatch(marker.group(0))
        if m is None:
            raise RefError(
                f"{where}: {marker.group(0)!r} is not a ref; write {{{{ ref('<table>') }}}} or "
                f"{{{{ ref('<table>', months='all') }}}}"
            )
        table, months = m.group(1), m.group(2)
        if table not in silver_tables():
            raise RefError(
                f"{where}: unknown ref {table!r}; silver tables: {sorted(silver_tables())}"
            )
        if months is not None and (months != "all" or table not in MONTHLY):
            raise RefError(
                f"{where}: ref({table!r}, months={months!r}): months='all' applies to the "
                f"monthly tables {list(MONTHLY)} only"
            )
        found.append((table, table in MONTHLY and months is None))
    return found


def reads(sql: str, *, where: str = "gold SQL") -> frozenset[str]:
    """The silver tables ``sql`` reads once rendered: its refs, plus ``month_checks`` when it
    reads a monthly table for the trusted months only."""
    found = refs(sql, where=where)
    gate = {GATE} if any(trusted for _, trusted in found) else set()
    return frozenset({table for table, _ in found} | gate)


def render(sql: str, *, where: str = "gold SQL") -> str:
    """``sql`` with every ref replaced by the relation it stands for:

    - a monthly table (:data:`MONTHLY`): the table restricted to the months whose blocking
      checks passed, ``(SELECT * FROM silver.<table> WHERE month IN (<trusted months>))``
      (always give it an alias), which reads ``silver.month_checks`` too;
    - ``{{ ref('<monthly table>', months='all') }}``: ``silver.<table>``, every month (what
      the history's coverage and figures count);
    - any other silver table: ``silver.<table>``."""
    refs(sql, where=where)
    months = trusted_months_sql()

    def relation(m: re.Match[str]) -> str:
        table, every_month = m.group(1), m.group(2) is not None
        if table in MONTHLY and not every_month:
            return f"(SELECT * FROM silver.{table} WHERE month IN ({months}))"
        return f"silver.{table}"

    return _REF.sub(relation, sql)

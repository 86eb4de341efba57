"""The ``{{ ref('table') }}`` marker by which gold SQL names the silver tables it reads.

Gold SQL (the models in ``dbt_like_sql/models/`` and the few queries in gold's Python) never
names a silver relation itself: :func:`render` turns each marker into the relation gold reads
(a monthly table: only the months whose blocking checks passed), so that the tables a query
reads are known (:func:`reads`) and become its asset's lineage (:mod:`sec_assets.gold.lineage`).
``{{ ref('fact_eventos', cadence='finest') }}`` keeps, of those months, the ones sampled at the
history's finest cadence (``silver.month_cadence``): what a sum of episode peaks reads, since
a sparser month misses short outages (``docs/cadence.md``). A ref to a table without a
contract, a marker that is not a ref, or a silver relation named outside a marker is refused
with the offending text.
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
    "month_cadence",
)
GATE = "month_checks"  # the table of verdicts behind the trusted months
CADENCE = "month_cadence"  # how each month was sampled
FINEST = "finest"

_REF = re.compile(r"\{\{\s*ref\(\s*'(\w+)'\s*(?:,\s*(months|cadence)\s*=\s*'(\w+)'\s*)?\)\s*\}\}")
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


def sparse_months_sql(trusted: str) -> str:
    """Of the months ``trusted`` selects, those with answered hours sampled sparser than the
    finest cadence among them (a month mixing cadences counts at its sparsest)."""
    sampled = (
        f"SELECT month, MIN(hours_per_day) AS n FROM silver.{CADENCE} "
        f"WHERE source <> 'none' AND month IN ({trusted}) GROUP BY month"
    )
    return (
        f"SELECT s.month FROM ({sampled}) AS s WHERE s.n < (SELECT MAX(f.n) FROM ({sampled}) AS f)"
    )


def finest_months_sql(trusted: str) -> str:
    """The months ``trusted`` selects but :func:`sparse_months_sql`."""
    return (
        f"SELECT t.month FROM ({trusted}) AS t WHERE t.month NOT IN ({sparse_months_sql(trusted)})"
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
        table, option, value = m.group(1), m.group(2), m.group(3)
        if table not in silver_tables():
            raise RefError(
                f"{where}: unknown ref {table!r}; silver tables: {sorted(silver_tables())}"
            )
        allowed = {"months": "all", "cadence": FINEST}
        if option is not None and (value != allowed[option] or table not in MONTHLY):
            raise RefError(
                f"{where}: ref({table!r}, {option}={value!r}): months='all' and "
                f"cadence='{FINEST}' apply to the monthly tables {list(MONTHLY)} only"
            )
        found.append((table, table in MONTHLY and option != "months"))
        if option == "cadence":
            found.append((CADENCE, True))
    return found


def finest_cadence(sql: str) -> bool:
    """Whether ``sql`` keeps some monthly table to the months of the finest cadence."""
    return any(m.group(2) == "cadence" for m in _REF.finditer(_COMMENT.sub("", sql)))


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
    - ``{{ ref('<monthly table>', cadence='finest') }}``: the trusted months sampled at the
      finest cadence among them (:func:`finest_months_sql`), which reads
      ``silver.month_cadence`` too;
    - any other silver table: ``silver.<table>``."""
    refs(sql, where=where)
    months = trusted_months_sql()

    def relation(m: re.Match[str]) -> str:
        table, option = m.group(1), m.group(2)
        if table in MONTHLY and option == "cadence":
            return f"(SELECT * FROM silver.{table} WHERE month IN ({finest_months_sql(months)}))"
        if table in MONTHLY and option is None:
            return f"(SELECT * FROM silver.{table} WHERE month IN ({months}))"
        return f"silver.{table}"

    return _REF.sub(relation, sql)

"""What brings a warehouse created under older contracts to the current ones.

The contracts (``dbt_like_sql/contracts/``) say what a fresh warehouse looks like; the files in
``dbt_like_sql/migrations/silver/`` say how an existing one gets there. Two kinds of statement
are accepted, both run by :meth:`Warehouse.ensure_schema` in its transaction:

- ``ALTER TABLE silver.<t> RENAME COLUMN <a> TO <b>;`` runs before the contracts, when the
  catalog still shows ``<a>`` on ``<t>`` (and not ``<b>``): idempotent, and a fresh warehouse
  skips it;
- ``INSERT INTO silver.<t> ... ;`` (a *fill*) runs after the contracts, once: when this very
  call created ``<t>``. It fills a new table derived from others (one set-based statement) in a
  warehouse that holds rows from before it; in a fresh warehouse it finds nothing to read. A
  table stored per month is filled through its DEFAULT table (its months move to tables of
  their own as they are re-materialized).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sec_assets.warehouse.errors import WarehouseError
from sec_assets.warehouse.schema import TableInfo

_RENAME = re.compile(
    r"^ALTER\s+TABLE\s+silver\.(\w+)\s+RENAME\s+COLUMN\s+(\w+)\s+TO\s+(\w+)$", re.I
)
_FILL = re.compile(r"^INSERT\s+INTO\s+silver\.(\w+)\s*\(", re.I)


@dataclass(frozen=True)
class Rename:
    table: str
    old: str
    new: str
    source: str  # file name, for errors

    @property
    def sql(self) -> str:
        return f'ALTER TABLE silver."{self.table}" RENAME COLUMN "{self.old}" TO "{self.new}"'


@dataclass(frozen=True)
class Fill:
    table: str
    sql: str  # the INSERT ... SELECT, as one line
    source: str  # file name, for errors

    def into(self, target: str) -> str:
        """The statement inserting into ``silver.<target>`` instead (a table stored per month
        is filled through its DEFAULT table on DuckDB, whose ``silver.<t>`` is a view)."""
        sql, n = _FILL.subn(f"INSERT INTO silver.{target} (", self.sql, count=1)
        if n != 1:
            raise WarehouseError(f"{self.source}: cannot redirect the fill of silver.{self.table}")
        return sql


def _statements(sql: str) -> list[str]:
    text = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return [" ".join(s.split()) for s in text.split(";") if s.strip()]


def read_migrations(folder: Path) -> tuple[list[Rename], list[Fill]]:
    """Every rename and fill of ``folder``'s ``*.sql`` files, each in file order."""
    renames: list[Rename] = []
    fills: list[Fill] = []
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        for statement in _statements(path.read_text(encoding="utf-8")):
            if match := _RENAME.match(statement):
                table, old, new = (g.lower() for g in match.groups())
                renames.append(Rename(table, old, new, source=path.name))
            elif match := _FILL.match(statement):
                fills.append(Fill(match[1].lower(), statement, source=path.name))
            else:
                raise WarehouseError(
                    f"{path.name}: only 'ALTER TABLE silver.<t> RENAME COLUMN <a> TO <b>;' and "
                    f"'INSERT INTO silver.<t> (...) SELECT ...;' statements are supported, got: "
                    f"{statement[:120]}"
                )
    return renames, fills


def fills_due(fills: list[Fill], before: set[str], contracts: set[str]) -> list[Fill]:
    """The fills of the tables this ``ensure_schema`` created (absent from ``before``); a fill
    of a table no contract creates is refused."""
    unknown = sorted({f"{f.source}: silver.{f.table}" for f in fills if f.table not in contracts})
    if unknown:
        raise WarehouseError(f"migrations fill tables no contract creates: {unknown}")
    return [f for f in fills if f.table not in before]


def renames_due(renames: list[Rename], tables: dict[str, TableInfo]) -> list[Rename]:
    """The renames an existing warehouse still needs, refusing one it cannot apply safely."""
    due: list[Rename] = []
    for r in renames:
        info = tables.get(r.table)
        if info is None or r.old not in info.columns:
            continue  # fresh warehouse, or already renamed
        if r.new in info.columns:
            raise WarehouseError(
                f"silver.{r.table} has both {r.old} and {r.new} ({r.source}): drop one by hand"
            )
        if info.partition_by:
            raise WarehouseError(
                f"silver.{r.table} is stored a table per month; {r.source} cannot rename "
                f"{r.old} in place: drop the table and re-materialize its months"
            )
        due.append(r)
    return due

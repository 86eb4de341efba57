"""Column renames that bring a warehouse created under older contracts to the current ones.

The contracts (``dbt_like_sql/contracts/``) say what a fresh warehouse looks like; the files in
``dbt_like_sql/migrations/silver/`` say how an existing one gets there. Only
``ALTER TABLE silver.<t> RENAME COLUMN <a> TO <b>;`` statements are accepted: each runs when the
catalog still shows ``<a>`` on ``<t>`` (and not ``<b>``), so applying them is idempotent and a
fresh warehouse skips them all. Run by :meth:`Warehouse.ensure_schema` before the contracts.
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


@dataclass(frozen=True)
class Rename:
    table: str
    old: str
    new: str
    source: str  # file name, for errors

    @property
    def sql(self) -> str:
        return f'ALTER TABLE silver."{self.table}" RENAME COLUMN "{self.old}" TO "{self.new}"'


def _statements(sql: str) -> list[str]:
    text = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return [" ".join(s.split()) for s in text.split(";") if s.strip()]


def read_renames(folder: Path) -> list[Rename]:
    """Every rename of ``folder``'s ``*.sql`` files, in file order."""
    renames: list[Rename] = []
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        for statement in _statements(path.read_text(encoding="utf-8")):
            match = _RENAME.match(statement)
            if match is None:
                raise WarehouseError(
                    f"{path.name}: only 'ALTER TABLE silver.<t> RENAME COLUMN <a> TO <b>;' "
                    f"statements are supported, got: {statement[:120]}"
                )
            table, old, new = (g.lower() for g in match.groups())
            renames.append(Rename(table, old, new, source=path.name))
    return renames


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

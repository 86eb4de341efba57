"""Set-based integrity of a month's table, checked inside its load's transaction.

A month stored in a table of its own (:mod:`.partitions`) is checked whole before commit rather
than per row as it is inserted: :func:`refuse_bad_frame` before the insert (no null or repeated
key, on the frame), :func:`refuse_orphans` after it (every foreign key resolves: one query).
Either raises :class:`WarehouseIntegrityError` naming the table, the month and a few rows, and
the transaction rolls back. DuckDB month tables declare no key (these checks are the whole
enforcement: only the month's load writes its table); Postgres declares every key and validates
them on ATTACH, and runs :func:`refuse_orphans` only when ATTACH refuses, to name the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets.warehouse.schema import SCHEMA, TableInfo, quote

if TYPE_CHECKING:
    import polars as pl

    from sec_assets.warehouse.tx import Tx

SAMPLE = 5


def _scope(info: TableInfo, values: Mapping[str, Any]) -> str:
    """`` (month=2024-08)`` for a month's table; nothing for a table not stored by month."""
    shown = ", ".join(f"{c}={values[c]}" for c in info.partition_by if c in values)
    return f" ({shown})" if shown else ""


def _keys(info: TableInfo) -> list[str]:
    cols = list(info.primary_key)
    for fk in info.foreign_keys:
        cols += [c for c in fk.columns if c not in cols]
    return cols


def refuse_bad_frame(info: TableInfo, values: Mapping[str, Any], frame: pl.DataFrame) -> None:
    """Null keys and duplicate primary keys in the month's frame."""
    import polars as pl

    keys = [c for c in _keys(info) if c in frame.columns]
    nulls = frame.filter(pl.any_horizontal(pl.col(keys).is_null())) if keys else frame.clear()
    if nulls.height:
        raise WarehouseIntegrityError(
            f"null key: {nulls.height} row(s) of silver.{info.name}{_scope(info, values)} "
            f"have a null in {keys}, e.g. {nulls.select(keys).head(SAMPLE).rows()}; rolled back"
        )
    pk = list(info.primary_key)
    if pk:
        dup = frame.filter(pl.struct(pk).is_duplicated())
        if dup.height:
            sample = dup.select(pk).unique(maintain_order=True).head(SAMPLE).rows()
            raise WarehouseIntegrityError(
                f"duplicate key: {dup.height} row(s) of silver.{info.name}"
                f"{_scope(info, values)} share a primary key {pk}, e.g. {sample}; rolled back"
            )


def refuse_orphans(
    tx: Tx, info: TableInfo, values: Mapping[str, Any], table: str, *, source: str | None = None
) -> None:
    """Every foreign key of the rows of ``silver.<table>`` (the month's table), or of the
    relation ``source`` (a replace's staged rows), resolves: one query; a few orphans of each
    key are named."""
    if not info.foreign_keys:
        return
    pk = list(info.primary_key) or list(info.foreign_keys[0].columns)
    parts = []
    for i, fk in enumerate(info.foreign_keys):
        match = " AND ".join(
            f"r.{quote(rc)} = t.{quote(c)}"
            for c, rc in zip(fk.columns, fk.ref_columns, strict=True)
        )
        shown = ", ".join(f"CAST(t.{quote(c)} AS TEXT)" for c in [*pk, *fk.columns])
        parts.append(
            f"(SELECT {i} AS fk, concat_ws(' | ', {shown}) AS row_ FROM "
            f"{source or quote(SCHEMA) + '.' + quote(table)} AS t WHERE NOT EXISTS (SELECT 1 FROM "
            f"{quote(SCHEMA)}.{quote(fk.ref_table)} AS r WHERE {match}) LIMIT {SAMPLE})"
        )
    orphans = tx.fetch(" UNION ALL ".join(parts))
    if orphans:
        lines = []
        for i, fk in enumerate(info.foreign_keys):
            rows = [r for (n, r) in orphans if n == i]
            if rows:
                lines.append(
                    f"{', '.join(fk.columns)} → silver.{fk.ref_table} "
                    f"({' | '.join([*pk, *fk.columns])}): {rows}"
                )
        raise WarehouseIntegrityError(
            f"broken reference: rows of silver.{info.name}{_scope(info, values)} reference "
            f"no parent row; rolled back. " + "; ".join(lines)
        )

"""Partition replacement and upserts, as SQL over a :class:`~sec_assets.warehouse.base.Tx`.

A replace of steps ``[parent, child]`` in one transaction:

1. stage every frame that SQL must compare against (parents' frames, ``delete_in`` keys);
2. delete, children first: a plain table loses its rows in scope; a table that foreign keys
   reference loses only its rows in scope whose key the new frame does not have;
3. insert, parents first: plain tables by the engine's bulk path, referenced tables by
   ``INSERT … ON CONFLICT (pk) DO UPDATE`` from the staged frame.

The end state is exactly "delete the scope, insert the frame". Upserting the parent instead of
deleting it is what makes this work on DuckDB, whose foreign-key check on delete still sees the
child rows the same transaction deleted. With ``defer_referenced`` (DuckDB), parent rows that
leave the scope while committed children referenced them are removed in a second transaction
on the same connection, after checking that nothing references them any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets.warehouse.frames import ReplaceStep, conform
from sec_assets.warehouse.schema import SCHEMA, ForeignKey, TableInfo, quote

if TYPE_CHECKING:
    from sec_assets.warehouse.base import Tx

Plan = tuple[ReplaceStep, TableInfo]
Blocked = list[tuple[TableInfo, pl.DataFrame]]


def qualified(table: str) -> str:
    return f"{quote(SCHEMA)}.{quote(table)}"


def _match(left: str, right: str, cols: Sequence[str], right_cols: Sequence[str] = ()) -> str:
    pairs = zip(cols, right_cols or cols, strict=True)
    return " AND ".join(f"{left}.{quote(a)} = {right}.{quote(b)}" for a, b in pairs)


def _absent_from(staged: str, keys: Sequence[str]) -> str:
    return f" AND NOT EXISTS (SELECT 1 FROM {staged} AS n WHERE {_match('n', 't', keys)})"


def _scope(step: ReplaceStep, i: int) -> tuple[str, dict[str, Any]]:
    conds: list[str] = []
    params: dict[str, Any] = {}
    for j, (col, value) in enumerate(step.where.items()):
        conds.append(f"t.{quote(col)} = :w{i}_{j}")
        params[f"w{i}_{j}"] = value
    if step.delete_in is not None:
        col = quote(step.delete_in[0])
        conds.append(f"t.{col} IN (SELECT {col} FROM _sec_in_{i})")
    return " AND ".join(conds), params


def _referenced(fk: ForeignKey) -> str:
    match = _match("c", "t", fk.columns, fk.ref_columns)
    return f"EXISTS (SELECT 1 FROM {qualified(fk.table)} AS c WHERE {match})"


def apply_steps(
    tx: Tx, plans: Sequence[Plan], *, defer_referenced: bool, immutable_indexed: bool
) -> Blocked:
    """Run the deletes and inserts of ``plans``; returns the parent rows left to delete."""
    for i, (step, info) in enumerate(plans):
        if step.delete_in is not None:
            column, values = step.delete_in
            tx.stage(f"_sec_in_{i}", conform(pl.DataFrame({column: list(values)}), info), info)
        if info.is_parent:
            tx.stage(f"_sec_new_{i}", step.frame, info)

    blocked: dict[int, pl.DataFrame] = {}
    if defer_referenced:
        for i, (step, info) in enumerate(plans):
            if info.is_parent:
                keys = _stale_and_referenced(tx, i, step, info)
                if keys.height:
                    tx.stage(f"_sec_blk_{i}", keys, info)
                    blocked[i] = keys

    for i in reversed(range(len(plans))):
        step, info = plans[i]
        where, params = _scope(step, i)
        sql = f"DELETE FROM {qualified(info.name)} AS t WHERE {where}"
        if info.is_parent:
            sql += _absent_from(f"_sec_new_{i}", info.primary_key)
            if i in blocked:
                sql += _absent_from(f"_sec_blk_{i}", info.primary_key)
        tx.execute(sql, params)

    for i, (step, info) in enumerate(plans):
        if info.is_parent:
            upsert_staged(
                tx,
                info,
                f"_sec_new_{i}",
                step.frame.columns,
                info.primary_key,
                immutable_indexed=immutable_indexed,
            )
        elif step.frame.height:
            tx.insert(info, step.frame)

    for i in blocked:
        _check_unreferenced(tx, plans[i][1], f"_sec_blk_{i}")
    return [(plans[i][1], keys) for i, keys in blocked.items()]


def _stale_and_referenced(tx: Tx, i: int, step: ReplaceStep, info: TableInfo) -> pl.DataFrame:
    """Rows in scope that the new frame drops but that some child row references now."""
    cols = [
        c
        for c in info.columns
        if c in info.primary_key or any(c in fk.ref_columns for fk in info.referenced_by)
    ]
    where, params = _scope(step, i)
    refs = " OR ".join(_referenced(fk) for fk in info.referenced_by)
    sql = (
        f"SELECT {', '.join('t.' + quote(c) for c in cols)} FROM {qualified(info.name)} AS t "
        f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM _sec_new_{i} AS n "
        f"WHERE {_match('n', 't', info.primary_key)}) AND ({refs})"
    )
    return tx.fetch_frame(sql, params)


def _check_unreferenced(tx: Tx, info: TableInfo, staged: str) -> None:
    for fk in info.referenced_by:
        [(n,)] = tx.fetch(
            f"SELECT count(*) FROM {qualified(fk.table)} AS c WHERE EXISTS (SELECT 1 FROM "
            f"{staged} AS b WHERE {_match('c', 'b', fk.columns, fk.ref_columns)})"
        )
        if n:
            raise WarehouseIntegrityError(
                f"rows of silver.{info.name} that the replace drops are still referenced by "
                f"{n} row(s) of silver.{fk.table} ({', '.join(fk.columns)}); rolled back"
            )


def delete_blocked(tx: Tx, blocked: Blocked) -> None:
    """Second transaction (DuckDB): drop the parent rows whose children are gone now."""
    for n, (info, keys) in enumerate(blocked):
        tx.stage(f"_sec_gone_{n}", keys, info)
        pk = info.primary_key
        tx.execute(
            f"DELETE FROM {qualified(info.name)} AS t WHERE EXISTS "
            f"(SELECT 1 FROM _sec_gone_{n} AS b WHERE {_match('b', 't', pk)})"
        )


def upsert_staged(
    tx: Tx,
    info: TableInfo,
    staged: str,
    columns: Sequence[str],
    keys: Sequence[str],
    *,
    immutable_indexed: bool,
) -> None:
    """``INSERT … SELECT … ON CONFLICT (keys) DO UPDATE`` from a staged relation.

    With ``immutable_indexed`` (DuckDB) indexed columns are not assigned — DuckDB rewrites
    such an update as delete + insert, which a referencing foreign key refuses — so they must
    be unchanged: a difference is reported instead of silently kept.
    """
    updatable = [c for c in columns if c not in keys]
    if immutable_indexed:
        frozen = [c for c in updatable if c in info.indexed]
        updatable = [c for c in updatable if c not in info.indexed]
        if frozen:
            differs = " OR ".join(f"t.{quote(c)} IS DISTINCT FROM n.{quote(c)}" for c in frozen)
            [(n,)] = tx.fetch(
                f"SELECT count(*) FROM {qualified(info.name)} AS t JOIN {staged} AS n "
                f"ON {_match('n', 't', keys)} WHERE {differs}"
            )
            if n:
                raise WarehouseIntegrityError(
                    f"{n} existing row(s) of silver.{info.name} would change indexed column(s) "
                    f"{frozen}; DuckDB cannot update indexed columns of rows that foreign keys "
                    "reference (delete the referencing rows first, or use Postgres)"
                )
    cols = ", ".join(quote(c) for c in columns)
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updatable)
        if updatable
        else "DO NOTHING"
    )
    target = ", ".join(quote(k) for k in keys)
    tx.execute(
        f"INSERT INTO {qualified(info.name)} ({cols}) SELECT {cols} FROM {staged} "
        f"ON CONFLICT ({target}) {action}"
    )


def upsert_rows(
    tx: Tx, info: TableInfo, rows: pl.DataFrame, keys: Sequence[str], *, immutable_indexed: bool
) -> int:
    """Upsert ``rows`` by ``keys``; returns how many keys were new."""
    tx.stage("_sec_upsert", rows, info)
    [(inserted,)] = tx.fetch(
        f"SELECT count(*) FROM _sec_upsert AS n WHERE NOT EXISTS (SELECT 1 FROM "
        f"{qualified(info.name)} AS t WHERE {_match('n', 't', keys)})"
    )
    upsert_staged(tx, info, "_sec_upsert", rows.columns, keys, immutable_indexed=immutable_indexed)
    return int(inserted)

"""Partition replacement and upserts, as SQL over a :class:`~sec_assets.warehouse.tx.Tx`.

A replace of steps ``[parent, child]`` is one transaction: stage the frames, delete children
first, insert parents first. A *plain* step deletes its scope and bulk-inserts its frame; a
*partition* step (the scope is a partitioned table's partition key) builds a table of its own
and swaps it for the old month's (foreign keys checked by one set-based query, not a trigger
per row); a *merged* step deletes only the keys the frame lacks, then ``INSERT … ON CONFLICT
DO UPDATE``. All three end as "delete the scope, insert the frame", duplicates refused alike.
Which tables an engine merges is its :class:`Quirks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets.warehouse.frames import ReplaceStep, conform
from sec_assets.warehouse.params import in_list
from sec_assets.warehouse.schema import SCHEMA, ForeignKey, TableInfo, quote
from sec_assets.warehouse.validate import refuse_orphans

if TYPE_CHECKING:
    import polars as pl

    from sec_assets.warehouse.tx import Tx

Plan = tuple[ReplaceStep, TableInfo]
Blocked = list[tuple[TableInfo, "pl.DataFrame"]]


def qualified(table: str) -> str:
    return f"{quote(SCHEMA)}.{quote(table)}"


def _match(left: str, right: str, cols: Sequence[str], right_cols: Sequence[str] = ()) -> str:
    pairs = zip(cols, right_cols or cols, strict=True)
    return " AND ".join(f"{left}.{quote(a)} = {right}.{quote(b)}" for a, b in pairs)


def _absent_from(staged: str, keys: Sequence[str], same: Sequence[str] = ()) -> str:
    """``t``'s key is not in ``staged`` (or is, but with other values in ``same``)."""
    cond = _match("n", "t", keys) + "".join(
        f" AND n.{quote(c)} IS NOT DISTINCT FROM t.{quote(c)}" for c in same
    )
    return f" AND NOT EXISTS (SELECT 1 FROM {staged} AS n WHERE {cond})"


def _scope(step: ReplaceStep, i: int) -> tuple[str, dict[str, Any]]:
    conds: list[str] = []
    params: dict[str, Any] = {}
    for j, (col, value) in enumerate(step.where.items()):
        conds.append(f"t.{quote(col)} = :w{i}_{j}")
        params[f"w{i}_{j}"] = value
    if step.within is not None:  # first: the scan skips the row groups outside it
        bound, values = _within(step, i)
        conds.insert(0, bound)
        params.update(values)
    if step.delete_in is not None:
        col = quote(step.delete_in[0])
        conds.append(f"t.{col} IN (SELECT {col} FROM _sec_in_{i})")
    return " AND ".join(conds), params


def _within(step: ReplaceStep, i: int) -> tuple[str, dict[str, Any]]:
    """``t.<column> IN (...)`` for ``step.within`` (``TRUE`` without it), and its parameters."""
    if step.within is None:
        return "TRUE", {}
    column, values = step.within
    marks, params = in_list(f"b{i}_", values)
    return f"t.{quote(column)} IN {marks}", params


def _referenced(fk: ForeignKey) -> str:
    match = _match("c", "t", fk.columns, fk.ref_columns)
    return f"EXISTS (SELECT 1 FROM {qualified(fk.table)} AS c WHERE {match})"


@dataclass(frozen=True)
class Quirks:
    """What an engine needs done differently (all False: Postgres).

    Tables that foreign keys reference (``snapshot_ledger``) are merged on every engine, so
    the rows children reference stay in place. DuckDB sets all three flags (the
    reasons are on :class:`~sec_assets.warehouse.duckdb_engine.DuckDBWarehouse`): its
    foreign-key check on delete still sees children deleted earlier in the transaction, its
    updates of indexed columns are delete + insert, and its primary-key deletes commit slowly.
    """

    merge_keyed: bool = False  # merge every table with a primary key, not only parents
    defer_referenced: bool = False  # parent deletes wait for a second transaction
    immutable_indexed: bool = False  # indexed columns are never assigned in place


def frozen_columns(info: TableInfo, columns: Sequence[str], quirks: Quirks) -> list[str]:
    """Columns of ``columns`` an in-place update may not assign on this engine."""
    if not quirks.immutable_indexed:
        return []
    return [c for c in columns if c in info.indexed and c not in info.primary_key]


def swaps_partition(step: ReplaceStep, info: TableInfo) -> bool:
    """The step replaces exactly one partition of a partitioned table."""
    return (
        bool(info.partition_by)
        and step.delete_in is None
        and tuple(step.where) == tuple(info.partition_by)
    )


def apply_steps(tx: Tx, plans: Sequence[Plan], quirks: Quirks) -> Blocked:
    """Run the deletes and inserts of ``plans``; returns the parent rows left to delete."""
    import polars as pl

    swapped = {i for i, (step, info) in enumerate(plans) if swaps_partition(step, info)}
    checked = {i for i, (_, info) in enumerate(plans) if info.keys_checked and i not in swapped}
    merged = {
        i
        for i, (_, info) in enumerate(plans)
        if info.primary_key
        and (info.is_parent or quirks.merge_keyed)
        and i not in swapped
        and i not in checked
    }
    for i, (step, info) in enumerate(plans):
        if i in swapped:
            tx.stage_partition(info, step.where, step.frame)
        if step.delete_in is not None:
            column, values = step.delete_in
            tx.stage(f"_sec_in_{i}", conform(pl.DataFrame({column: list(values)}), info), info)
        if i in merged or i in checked:
            tx.stage(f"_sec_new_{i}", step.frame, info)
        if i in merged:
            _refuse_keys_outside_scope(tx, i, step, info)

    blocked: dict[int, pl.DataFrame] = {}
    if quirks.defer_referenced:
        for i in merged:
            step, info = plans[i]
            if info.is_parent:
                keys = _stale_and_referenced(tx, i, step, info)
                if keys.height:
                    tx.stage(f"_sec_blk_{i}", keys, info)
                    blocked[i] = keys

    for i in reversed(range(len(plans))):
        step, info = plans[i]
        if i in swapped:
            tx.drop_partition(info, step.where)
            continue
        where, params = _scope(step, i)
        sql = f"DELETE FROM {qualified(info.name)} AS t WHERE {where}"
        if i in merged:
            # Keep rows the frame has again; a plain table's row whose indexed columns change
            # goes too (re-inserted below: DuckDB cannot assign them in place).
            changing = [] if info.is_parent else frozen_columns(info, step.frame.columns, quirks)
            sql += _absent_from(f"_sec_new_{i}", info.primary_key, changing)
            if i in blocked:
                sql += _absent_from(f"_sec_blk_{i}", info.primary_key)
        tx.execute(sql, params)

    for i, (step, info) in enumerate(plans):
        if i in swapped:
            tx.attach_partition(info, step.where)
        elif i in merged:
            upsert_staged(
                tx,
                info,
                f"_sec_new_{i}",
                step.frame.columns,
                info.primary_key,
                quirks=quirks,
                verify_frozen=info.is_parent,
            )
        elif step.frame.height:
            tx.insert(info, step.frame)
    for i in checked:
        _check_keys(tx, i, *plans[i])

    for i in blocked:
        _check_unreferenced(tx, plans[i][1], f"_sec_blk_{i}")
    return [(plans[i][1], keys) for i, keys in blocked.items()]


def _check_keys(tx: Tx, i: int, step: ReplaceStep, info: TableInfo) -> None:
    """The keys of a table the engine does not hold them for (``keys_checked``), once the step
    has written: no primary key of the new rows stored twice — among the rows of
    ``step.within``'s values when given (the key determines that column), else in the whole
    table — and every foreign key of the new rows resolving. Raises, and the replace rolls
    back. Null keys are the columns' NOT NULL; a key twice in the frame, :func:`check_step`."""
    pk = info.primary_key
    if pk:
        bound, params = _within(step, i)
        cols = ", ".join(f"t.{quote(c)}" for c in pk)
        twice = tx.fetch(
            f"SELECT {cols} FROM {qualified(info.name)} AS t WHERE {bound} AND EXISTS "
            f"(SELECT 1 FROM _sec_new_{i} AS n WHERE {_match('n', 't', pk)}) "
            f"GROUP BY {cols} HAVING count(*) > 1 LIMIT 5",
            params,
        )
        if twice:
            raise WarehouseIntegrityError(
                f"duplicate key: silver.{info.name} would hold key(s) {list(pk)} = {twice} "
                "twice (stored already outside the rows replaced); rolled back"
            )
    refuse_orphans(tx, info, step.where, info.name, source=f"_sec_new_{i}")


def _refuse_keys_outside_scope(tx: Tx, i: int, step: ReplaceStep, info: TableInfo) -> None:
    """A frame key held by a row outside the scope: delete + insert would hit the primary key;
    an upsert would silently move the row. Refuse it, as the plain path does."""
    where, params = _scope(step, i)
    pk = ", ".join(f"t.{quote(c)}" for c in info.primary_key)
    clashes = tx.fetch(
        f"SELECT {pk} FROM {qualified(info.name)} AS t JOIN _sec_new_{i} AS n "
        f"ON {_match('n', 't', info.primary_key)} WHERE NOT COALESCE({where}, FALSE) LIMIT 5",
        params,
    )
    if clashes:
        raise WarehouseIntegrityError(
            f"duplicate key: the frame for silver.{info.name} holds key(s) that rows outside the "
            f"partition being replaced already have, e.g. {clashes}"
        )


def _stale_and_referenced(tx: Tx, i: int, step: ReplaceStep, info: TableInfo) -> pl.DataFrame:
    """Rows in scope that the new frame drops but that some child row references now."""
    cols = [
        c
        for c in info.columns
        if c in info.primary_key or any(c in fk.ref_columns for fk in info.referenced_by)
    ]
    where, params = _scope(step, i)
    stale = (
        f"SELECT {', '.join('t.' + quote(c) for c in cols)} FROM {qualified(info.name)} AS t "
        f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM _sec_new_{i} AS n "
        f"WHERE {_match('n', 't', info.primary_key)})"
    )
    dropped = tx.fetch_frame(stale, params)
    if dropped.is_empty():  # the usual case (a month's ledger keeps its hours): no child read
        return dropped
    refs = " OR ".join(_referenced(fk) for fk in info.referenced_by)
    sql = f"{stale} AND ({refs})"
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
    quirks: Quirks,
    verify_frozen: bool = True,
) -> None:
    """``INSERT … SELECT … ON CONFLICT (keys) DO UPDATE`` from a staged relation.

    Columns an engine cannot assign in place (:func:`frozen_columns`) are left out of the
    update; with ``verify_frozen`` an existing row whose value differs there is refused with a
    clear error rather than silently kept.
    """
    updatable = [c for c in columns if c not in keys]
    frozen = [c for c in frozen_columns(info, updatable, quirks) if c not in keys]
    updatable = [c for c in updatable if c not in frozen]
    if frozen and verify_frozen:
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
    tx: Tx, info: TableInfo, rows: pl.DataFrame, keys: Sequence[str], *, quirks: Quirks
) -> int:
    """Upsert ``rows`` by ``keys``; returns how many keys were new."""
    tx.stage("_sec_upsert", rows, info)
    [(inserted,)] = tx.fetch(
        f"SELECT count(*) FROM _sec_upsert AS n WHERE NOT EXISTS (SELECT 1 FROM "
        f"{qualified(info.name)} AS t WHERE {_match('n', 't', keys)})"
    )
    upsert_staged(tx, info, "_sec_upsert", rows.columns, keys, quirks=quirks)
    return int(inserted)

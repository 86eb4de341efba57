"""The schema bootstrap: schemas ``silver`` and ``gold``, every contract, renames and fills.

The same steps on both engines; what differs is asked of the engine's :class:`~.storage.Storage`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sec_assets.sql_files import silver_migrations_dir
from sec_assets.warehouse.errors import WarehouseError
from sec_assets.warehouse.migrations import fills_due, read_migrations, renames_due
from sec_assets.warehouse.schema import SCHEMAS, Contract, TableInfo, link_tables, quote
from sec_assets.warehouse.storage import Storage
from sec_assets.warehouse.tx import Tx


def ensure_schema(tx: Tx, storage: Storage, contracts: Sequence[Contract]) -> dict[str, TableInfo]:
    """Create the schemas and every contract (given parents first) in ``tx``, renaming old
    columns, moving tables to their current storage and running due fills. Returns the
    catalog as it stands after."""
    engine = storage.engine
    storage.lock_schema(tx)
    for schema in SCHEMAS:
        tx.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    renames, fills = read_migrations(silver_migrations_dir())
    introspected = tx.introspect()
    existing = link_tables(introspected)
    due = renames_due(renames, existing)
    for rename in due:
        tx.execute(rename.sql)
    aside = _set_aside_one_table_stores(tx, storage, contracts, existing)
    for contract in contracts:
        tx.execute(contract.ddl(engine))
    rebuilt = storage.store_contracts(tx, contracts, existing)
    # Nothing renamed, moved or rebuilt, and every contract already stored as it says (its
    # DDL, all IF NOT EXISTS, did nothing): the catalog read before still holds, and a second
    # catalog scan, which grows with the history, is skipped.
    same = not (due or aside or rebuilt) and all(
        c.name in existing and bool(existing[c.name].partition_by) == c.per_month(engine)
        for c in contracts
    )
    tables = storage.catalog(tx, introspected if same else None)
    storage.finish(tx, tables)  # Postgres: DEFAULT partitions, before any row
    for name, held in aside.items():
        cols = ", ".join(quote(c) for c in tables[name].columns)
        tx.execute(
            f"INSERT INTO {storage.fill_target(tables[name])} ({cols}) SELECT {cols} FROM {held}"
        )
        tx.execute(f"DROP TABLE {held}")
    for fill in fills_due(fills, set(existing), {c.name for c in contracts}):
        target = storage.fill_target(tables[fill.table]).removeprefix("silver.")
        tx.execute(fill.into(target))
    return tables


def _set_aside_one_table_stores(
    tx: Tx, storage: Storage, contracts: Sequence[Contract], existing: dict[str, TableInfo]
) -> dict[str, str]:
    """Tables the contracts now store a table per month but this warehouse holds as one table
    (created before): each is copied to a temporary table and dropped, so that the contracts
    create its new storage; :func:`ensure_schema` then moves the rows back in, into the
    DEFAULT table (their months move to tables of their own as they are re-materialized).
    Returns table -> the temporary table holding its rows."""
    aside: dict[str, str] = {}
    for contract in contracts:
        info = existing.get(contract.name)
        if info is None or info.partition_by or not contract.per_month(storage.engine):
            continue
        if info.is_parent:
            raise WarehouseError(
                f"silver.{info.name} exists as one table (created before it was stored a "
                "table per month) and other tables reference it: drop them and it, then "
                "re-materialize the silver months (bronze has them)"
            )
        held = quote(f"_sec_aside_{info.name}")
        storage.exclusive(tx, info.name)  # a load still writing it would be lost
        tx.execute(f"CREATE TEMP TABLE {held} AS SELECT * FROM silver.{quote(info.name)}")
        try:
            tx.execute(f"DROP TABLE silver.{quote(info.name)}")
        except WarehouseError as exc:
            raise WarehouseError(
                f"silver.{info.name} exists as one table (created before it was stored a "
                f"table per month) and cannot be dropped to move it ({exc}): drop what "
                "depends on it (a view of gold, say), then ensure the schema again"
            ) from exc
        aside[info.name] = held
    return aside

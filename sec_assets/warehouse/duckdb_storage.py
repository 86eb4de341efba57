"""How DuckDB stores the silver contracts (:class:`~.storage.Storage`): keys-checked tables take
their keys from their contract, a table stored per month writes bootstrap rows to its DEFAULT
table, and the file lock already serializes bootstraps and writers."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb

from sec_assets.warehouse.duckdb_tx import DuckTx
from sec_assets.warehouse.errors import WarehouseError
from sec_assets.warehouse.partitions import DEFAULT_SUFFIX
from sec_assets.warehouse.schema import (
    SCHEMA,
    Contract,
    TableInfo,
    link_tables,
    ordered_contracts,
    quote,
)
from sec_assets.warehouse.storage import Storage
from sec_assets.warehouse.tx import Engine, Tx

_DECLARED: dict[tuple[str, str], TableInfo] = {}
_DECLARED_LOCK = threading.Lock()


def declared_keys(sql_dir: Path | None, table: str) -> TableInfo:
    """``table`` as its contract declares it, keys included: its DDL and its parents', as
    declared, introspected in an in-memory DuckDB (once per process)."""
    key = (str(sql_dir), table)
    with _DECLARED_LOCK:
        if key in _DECLARED:
            return _DECLARED[key]
    contracts = ordered_contracts(sql_dir)
    wanted = {table} | next(set(c.parents) for c in contracts if c.name == table)
    con = duckdb.connect()
    try:
        con.execute(f"CREATE SCHEMA {quote(SCHEMA)}").fetchall()
        for contract in contracts:  # parents first
            if contract.name in wanted:
                con.execute(contract.ddl(None)).fetchall()
        info = {t.name: t for t in DuckTx(con).introspect()}[table]
    finally:
        con.close()
    with _DECLARED_LOCK:
        _DECLARED[key] = info
    return info


class DuckDBStorage(Storage):
    """The contracts of ``sql_dir`` as a DuckDB file stores them."""

    engine: Engine = "duckdb"

    def __init__(self, sql_dir: Path | None) -> None:
        self.sql_dir = sql_dir
        self._contracts: list[Contract] | None = None  # read once, on first need

    def stored(self, how: str) -> list[str]:
        """The contracts this engine stores ``per_month`` or with ``keys_checked``."""
        if self._contracts is None:
            self._contracts = ordered_contracts(self.sql_dir)
        return [c.name for c in self._contracts if getattr(c, how)(self.engine)]

    def lock_schema(self, tx: Tx) -> None:
        """Nothing more to take: the transaction holds the file's exclusive lock."""

    def exclusive(self, tx: Tx, table: str) -> None:
        """Nothing more to take: the transaction holds the file's exclusive lock."""

    def catalog(self, tx: Tx, introspected: list[TableInfo] | None = None) -> dict[str, TableInfo]:
        """The catalog's tables, a keys-checked table taking its keys from its contract."""
        tables = {t.name: t for t in (tx.introspect() if introspected is None else introspected)}
        checked = self.stored("keys_checked")
        for name in checked:
            if name in tables:
                keys = declared_keys(self.sql_dir, name)
                tables[name] = replace(
                    tables[name],
                    primary_key=keys.primary_key,
                    unique=keys.unique,
                    foreign_keys=keys.foreign_keys,
                    keys_checked=True,
                )
        linked = link_tables(list(tables.values()))
        parents = [n for n in checked if n in linked and linked[n].is_parent]
        if parents:
            raise WarehouseError(f"keys-checked tables cannot be referenced: {parents}")
        return linked

    def store_contracts(
        self, tx: Tx, contracts: Sequence[Contract], existing: dict[str, TableInfo]
    ) -> bool:
        """A keys-checked table created before (with its keys declared to DuckDB: ``existing``
        lists them) is rebuilt once without them, its rows kept: a new table from the
        contract, filled, swapped in. (A table the DDL has just created has none.)"""
        rebuilt = False
        for contract in contracts:
            info = existing.get(contract.name)
            if not contract.keys_checked(self.engine) or info is None:
                continue
            if not (info.primary_key or info.unique or info.foreign_keys):
                continue
            rebuilt = True
            new = f"{contract.name}__rebuilt"
            ddl = contract.ddl(self.engine).replace(
                f"silver.{contract.name} (", f"silver.{new} (", 1
            )
            if f"silver.{new} (" not in ddl:
                raise WarehouseError(f"cannot rebuild silver.{contract.name}: {ddl[:200]}")
            old, fresh = f"{quote(SCHEMA)}.{quote(contract.name)}", f"{quote(SCHEMA)}.{quote(new)}"
            tx.execute(f"DROP TABLE IF EXISTS {fresh}")
            tx.execute(ddl)
            tx.execute(f"INSERT INTO {fresh} BY NAME SELECT * FROM {old}")
            tx.execute(f"DROP TABLE {old}")
            tx.execute(f"ALTER TABLE {fresh} RENAME TO {quote(contract.name)}")
        return rebuilt

    def finish(self, tx: Tx, tables: dict[str, TableInfo]) -> None:
        """Nothing to add: the contracts' DDL made every table, view and index."""

    def fill_target(self, info: TableInfo) -> str:
        """The DEFAULT table of a table stored per month (``silver.<table>`` is then a view)."""
        if info.partition_by:
            return f"silver.{info.name}{DEFAULT_SUFFIX}"
        return f"silver.{info.name}"

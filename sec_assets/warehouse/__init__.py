"""The silver warehouse: the same star schema in DuckDB (embedded) or Postgres (shared).

``connect_warehouse(settings)`` picks the engine (:mod:`.connect`, the only place that does);
callers then use the :class:`~.base.Warehouse` verbs and never an engine: ``ensure_schema``,
``read``/``execute`` (SQL written once for both, ``:name`` parameters: :mod:`.params`),
``replace_partition``, ``replace_many`` (several tables, one transaction), ``replace_rows``
(by key), ``replace_each`` (a transaction per batch, one connection), ``upsert_dimension`` and
``lock`` (one holder across processes). Each table's shape is declared once in its contract
(:mod:`.schema`). Loads are bulk: Arrow for DuckDB, COPY for Postgres. :mod:`.resource` is the
Dagster resource, the only module here that imports Dagster.

The names below are loaded when first used, so that a module of this package that needs no
engine (``dsn``, ``errors``) is imported without DuckDB, Polars or psycopg.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sec_assets.warehouse.base import Warehouse
    from sec_assets.warehouse.connect import connect_warehouse
    from sec_assets.warehouse.dsn import redact_dsn
    from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
    from sec_assets.warehouse.errors import (
        WarehouseConnectionError,
        WarehouseError,
        WarehouseIntegrityError,
        WarehouseLockTimeout,
        WarehouseQueryError,
    )
    from sec_assets.warehouse.frames import ReplaceStep, UpsertResult
    from sec_assets.warehouse.params import bind_params
    from sec_assets.warehouse.postgres_engine import PostgresWarehouse
    from sec_assets.warehouse.schema import ForeignKey, TableInfo, ordered_ddl

_HOME = {
    "Warehouse": "base",
    "connect_warehouse": "connect",
    "redact_dsn": "dsn",
    "DuckDBWarehouse": "duckdb_engine",
    "WarehouseConnectionError": "errors",
    "WarehouseError": "errors",
    "WarehouseIntegrityError": "errors",
    "WarehouseLockTimeout": "errors",
    "WarehouseQueryError": "errors",
    "ReplaceStep": "frames",
    "UpsertResult": "frames",
    "bind_params": "params",
    "PostgresWarehouse": "postgres_engine",
    "ForeignKey": "schema",
    "TableInfo": "schema",
    "ordered_ddl": "schema",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "DuckDBWarehouse",
    "ForeignKey",
    "PostgresWarehouse",
    "ReplaceStep",
    "TableInfo",
    "UpsertResult",
    "Warehouse",
    "WarehouseConnectionError",
    "WarehouseError",
    "WarehouseIntegrityError",
    "WarehouseLockTimeout",
    "WarehouseQueryError",
    "bind_params",
    "connect_warehouse",
    "ordered_ddl",
    "redact_dsn",
]

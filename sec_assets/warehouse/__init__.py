"""The silver warehouse: the same star schema in DuckDB (embedded) or Postgres (shared).

Public API::

    wh = connect_warehouse(load_settings())      # Postgres if SEC_PG_DSN, else DuckDB file
    wh.ensure_schema()                            # schemas silver, gold + dbt_like_sql/contracts
    wh.replace_partition("region_customers", frame, where={"month": "2024-01"})
    wh.replace_many([ReplaceStep("snapshot_ledger", ledger, where={"month": m}),
                     ReplaceStep("fact_interrupciones", facts, where={"month": m})])
    wh.upsert_dimension("dim_empresa", empresas, key="empresa_id")
    wh.replace_rows("fact_eventos", events, key="evento_id", replaced=stale)  # by key
    for batch in wh.replace_each(month_batches): ...   # a transaction each, one connection
    with wh.lock("events", timeout_s=900): ...          # one holder across processes
    wh.read("SELECT * FROM silver.snapshot_ledger WHERE month = :month", {"month": m})

Callers use these verbs and never an engine: the engine is chosen in :mod:`.connect` alone,
and each table's shape is declared once in its contract (:mod:`.schema`).

SQL is written once for both engines with ``:name`` parameters (see :mod:`.params`). Loads are
one transaction each and bulk (Arrow for DuckDB, COPY for Postgres). DuckDB quirks and their
workaround are described in :mod:`.duckdb_engine`. The Dagster resource lives in
:mod:`.resource` (the only module here that imports Dagster).
"""

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

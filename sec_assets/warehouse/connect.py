"""Choose the warehouse from settings: Postgres when ``SEC_PG_DSN`` is set, else DuckDB."""

from __future__ import annotations

from pathlib import Path

from sec_assets.settings import SecSettings
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.postgres_engine import PostgresWarehouse

DUCKDB_FILE = "warehouse.duckdb"


def connect_warehouse(settings: SecSettings, *, sql_dir: Path | None = None) -> Warehouse:
    """``PostgresWarehouse(settings.pg_dsn)`` if set, else ``<data_dir>/warehouse.duckdb``.

    Nothing is opened yet; call ``ensure_schema()`` before the first load.
    """
    if settings.pg_dsn is not None and settings.pg_dsn.get_secret_value().strip():
        return PostgresWarehouse(settings.pg_dsn, sql_dir=sql_dir)
    return DuckDBWarehouse(settings.data_dir / DUCKDB_FILE, sql_dir=sql_dir)

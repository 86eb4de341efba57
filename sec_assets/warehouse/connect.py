"""Choose the warehouse from settings, here alone: Postgres when ``SEC_PG_DSN`` holds a DSN,
else DuckDB (an unset, empty or blank ``SEC_PG_DSN`` alike). Everything else asks the object
returned (``engine``: "duckdb" or "postgres"; ``where``: the file, or ``host:port/dbname``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sec_assets.settings import SecSettings
    from sec_assets.warehouse.base import Warehouse

DUCKDB_FILE = "warehouse.duckdb"


def connect_warehouse(
    settings: SecSettings, *, sql_dir: Path | None = None, duckdb_file: str = DUCKDB_FILE
) -> Warehouse:
    """``PostgresWarehouse(settings.pg_dsn)`` if it holds a DSN, else
    ``<data_dir>/<duckdb_file>``.

    Nothing is opened yet; call ``ensure_schema()`` before the first load.
    """
    if settings.pg_dsn is not None and settings.pg_dsn.get_secret_value().strip():
        from sec_assets.warehouse.postgres_engine import PostgresWarehouse  # only its engine

        return PostgresWarehouse(settings.pg_dsn, sql_dir=sql_dir)
    from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse

    return DuckDBWarehouse(settings.data_dir / duckdb_file, sql_dir=sql_dir)

"""The shared warehouse: Postgres, reached through ``SEC_PG_DSN``.

Bulk paths are COPY both ways: frames in as binary COPY encoded from Arrow by ``pgpq`` (CSV
written by Polars when a column has no exact binary type: :mod:`.postgres_copy_in`), results out
as CSV read by Polars with the query's column types (:mod:`.postgres_copy_out`). Each call uses
its own connection (autocommit, ``TimeZone`` UTC: :mod:`.postgres_connections`) and one
transaction (:mod:`.postgres_tx`), so concurrent monthly loads touch only their own month.
Tables stored per month are LIST-partitioned (:mod:`.partitions`); the catalog queries show
callers the parent only (:mod:`.postgres_catalog`).

The DSN is a secret: kept as ``SecretStr``, shown as ``host:port/dbname`` only in reprs and
errors; the driver's exception, which may quote it, has every secret of the DSN masked by value
and is never chained.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import psycopg
from pydantic import SecretStr

from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.postgres_connections import PostgresConnections
from sec_assets.warehouse.postgres_copy_in import COPY_CHUNK_ROWS, binary_frame, copy_in
from sec_assets.warehouse.postgres_copy_out import copied_out, copy_out
from sec_assets.warehouse.postgres_statistics import (
    MONTH_STATISTICS_TARGET,
    analyze,
    statistics_due,
)
from sec_assets.warehouse.postgres_storage import PostgresStorage
from sec_assets.warehouse.postgres_tx import PgTx, mapped_errors
from sec_assets.warehouse.replace import Plan
from sec_assets.warehouse.tx import Engine, Tx

_PgTx = PgTx  # the name tests patch
__all__ = [
    "COPY_CHUNK_ROWS",
    "MONTH_STATISTICS_TARGET",
    "PostgresWarehouse",
    "_PgTx",
    "binary_frame",
    "copied_out",
    "copy_in",
    "copy_out",
]


class PostgresWarehouse(Warehouse):
    """The silver schema in Postgres. ``dsn`` is a libpq URL or key=value string."""

    engine: ClassVar[Engine] = "postgres"

    def __init__(
        self,
        dsn: SecretStr | str,
        *,
        sql_dir: Path | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(sql_dir=sql_dir, storage=PostgresStorage())
        self._dsn = dsn if isinstance(dsn, SecretStr) else SecretStr(dsn)
        self.connect_timeout_s = connect_timeout_s
        self.connections = PostgresConnections(
            self._dsn, connect_timeout_s=connect_timeout_s, opens=self.opens
        )

    def keep_open(self, *, idle_s: float) -> None:
        """From now on, the calls of this warehouse share one connection (for a Dagster run:
        see :mod:`.kept`), closed after ``idle_s`` unused, after an error raised through it,
        and at :meth:`release_kept`. Named locks keep their own connection, and so does a call
        made inside another's transaction (it commits on its own, as without this)."""
        self.connections.keep_open(idle_s=idle_s)

    def release_kept(self) -> int:
        return self.connections.release_kept()

    @property
    def where(self) -> str:
        """``host:port/dbname``: never the user or the password."""
        return self.connections.where

    def __repr__(self) -> str:
        return f"PostgresWarehouse({self.where})"

    def _named_lock(self, name: str, timeout_s: float) -> AbstractContextManager[None]:
        return self.connections.named_lock(name, timeout_s)

    def session(self) -> AbstractContextManager[None]:
        """Every call of this warehouse inside the block, on this thread, shares one
        connection (each call still its own transaction): a ranged load or a gold step
        connects once, not once per call."""
        return self.connections.session()

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A psycopg connection (autocommit; use ``with conn.transaction():``), TimeZone UTC;
        inside :meth:`session`, the session's."""
        with self.connections.connection() as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        with self.connections.connection() as conn, mapped_errors(), conn.transaction():
            yield PgTx(conn)

    def _refresh_statistics(self, plans: Sequence[Plan]) -> None:
        """ANALYZE what a replace wrote (:mod:`.postgres_statistics`), on a connection only
        when something is due."""
        tables, months = statistics_due(plans)
        if tables or months:
            with self.connections.connection() as conn:
                analyze(conn, tables, months)

    def read(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        months: Sequence[str] | None = None,  # the planner prunes partitions by the WHERE
    ) -> pl.DataFrame:
        with self._transaction() as tx:
            return tx.fetch_frame(sql, params)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self._transaction() as tx:
            tx.execute(sql, params)

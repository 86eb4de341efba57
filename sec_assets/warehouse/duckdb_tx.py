"""A DuckDB transaction (:class:`DuckTx`): SQL, Arrow registrations for bulk load and staging,
month tables behind a view, and DuckDB's errors mapped to the warehouse's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from itertools import count
from typing import Any, ClassVar

import duckdb
import polars as pl

from sec_assets.diskerrors import disk_hint, errno_in_text
from sec_assets.warehouse.duckdb_catalog import introspect
from sec_assets.warehouse.duckdb_months import month_table_ddl, rebuild_view
from sec_assets.warehouse.errors import (
    WarehouseDiskError,
    WarehouseIntegrityError,
    WarehouseQueryError,
)
from sec_assets.warehouse.params import bind_params
from sec_assets.warehouse.partitions import partition_table
from sec_assets.warehouse.readtypes import normalize
from sec_assets.warehouse.schema import SCHEMA, TableInfo, quote
from sec_assets.warehouse.tx import Engine, Tx
from sec_assets.warehouse.validate import refuse_bad_frame, refuse_orphans


@contextmanager
def mapped_errors() -> Iterator[None]:
    """DuckDB's errors as the warehouse's: key violations, a full disk, the rest."""
    try:
        yield
    except duckdb.ConstraintException as exc:
        raise WarehouseIntegrityError(str(exc)) from exc
    except duckdb.Error as exc:
        if (code := errno_in_text(str(exc))) is not None:  # full or read-only disk
            raise WarehouseDiskError(
                f"DuckDB could not write the warehouse (SEC_DATA_DIR/warehouse.duckdb): {exc}; "
                f"{disk_hint(code)}"
            ) from exc
        # a bulk-built primary key fails at commit
        if isinstance(exc, duckdb.TransactionException) and (
            "constraint violation" in str(exc).lower()
        ):
            raise WarehouseIntegrityError(str(exc)) from exc
        raise WarehouseQueryError(str(exc)) from exc


class DuckTx(Tx):
    engine: ClassVar[Engine] = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._names = count()
        self._staged: dict[tuple[str, str], pl.DataFrame] = {}
        self._registered: list[str] = []  # Arrow registrations and temp views to drop
        self._views: list[str] = []

    def close(self) -> None:
        """Drop what this transaction registered: inside a session the connection outlives
        it, and would otherwise keep every staged frame alive (and refuse the names)."""
        for view in self._views:
            self.con.execute(f"DROP VIEW IF EXISTS temp.{quote(view)}")
        for raw in self._registered:
            self.con.unregister(raw)
        self._views, self._registered = [], []

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        query, values = bind_params(sql, params, "duckdb")
        with mapped_errors():  # drain the result: DuckDB 2 refuses work while one is open
            self.con.execute(query, values).fetchall()

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        query, values = bind_params(sql, params, "duckdb")
        with mapped_errors():
            return self.con.execute(query, values).fetchall()

    def fetch_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        query, values = bind_params(sql, params, "duckdb")
        with mapped_errors():
            relation = self.con.sql(query, params=values)
            if relation is None:
                raise ValueError("read() takes a query (SELECT / WITH / VALUES / TABLE)")
            return normalize(relation.pl())

    def stage(self, name: str, frame: pl.DataFrame, info: TableInfo) -> None:
        raw = f"{name}_raw"
        casts = ", ".join(
            f"CAST({quote(c)} AS {info.types[c]}) AS {quote(c)}" for c in frame.columns
        )
        with mapped_errors():
            self.con.register(raw, frame)
            self._registered.append(raw)
            self.con.execute(f"CREATE TEMP VIEW {quote(name)} AS SELECT {casts} FROM {quote(raw)}")
            self._views.append(name)

    def insert(self, info: TableInfo, frame: pl.DataFrame) -> None:
        raw = f"_sec_insert_{next(self._names)}"
        cols = ", ".join(quote(c) for c in frame.columns)
        with mapped_errors():  # registrations are dropped when the transaction ends
            self.con.register(raw, frame)
            self._registered.append(raw)
            self.con.execute(
                f"INSERT INTO {quote(SCHEMA)}.{quote(info.name)} ({cols}) "
                f"SELECT {cols} FROM {quote(raw)}"
            ).fetchall()

    def introspect(self) -> list[TableInfo]:
        """The contracts (:mod:`.duckdb_catalog`)."""
        return introspect(self)

    # --- a table stored per month: month tables behind a view (.duckdb_months) ------------

    def stage_partition(
        self, info: TableInfo, values: Mapping[str, Any], frame: pl.DataFrame
    ) -> None:
        """Nothing to do before the deletes: the month table takes the old one's name, so it is
        built in :meth:`attach_partition`, once the old one is dropped."""
        self._staged[(info.name, partition_table(info, values))] = frame

    def attach_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Create the month table without keys (:func:`~.duckdb_months.month_table_ddl`),
        refuse null and duplicate keys in the frame, fill it from Arrow, check every foreign
        key of the month in one query (:mod:`.validate`: no index per foreign-key column, no
        per-row lookup), and rebuild the view over every month table.

        The month table declares no key: only its load writes it, and the load has refused
        null and repeated keys in the whole frame before inserting it. An index would cost the
        load more than the insert (an ART over md5 text outweighs the month's data on disk,
        written to the WAL at commit and again at checkpoint) and serve no lookup: every read
        scans."""
        name = partition_table(info, values)
        frame = self._staged.pop((info.name, name))
        ddl = month_table_ddl(self, info, name)
        refuse_bad_frame(info, values, frame)
        with mapped_errors():
            self.con.execute(ddl)
        self.insert(replace(info, name=name), frame)
        refuse_orphans(self, info, values, name)
        rebuild_view(self, info.name, added=name)

    def restart(self) -> None:
        with mapped_errors():
            self.con.commit()
            self.con.begin()

"""A Postgres transaction (:class:`PgTx`): SQL, COPY in and out, a month's partition staged and
attached, and psycopg's errors mapped to the warehouse's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import polars as pl
import psycopg

from sec_assets.warehouse.errors import (
    WarehouseDiskError,
    WarehouseIntegrityError,
    WarehouseQueryError,
)
from sec_assets.warehouse.params import bind_params
from sec_assets.warehouse.partitions import partition_table, sql_literal
from sec_assets.warehouse.postgres_catalog import introspect
from sec_assets.warehouse.postgres_copy_in import copy_in
from sec_assets.warehouse.postgres_copy_out import copy_out
from sec_assets.warehouse.schema import SCHEMA, TableInfo, quote
from sec_assets.warehouse.tx import Engine, Tx
from sec_assets.warehouse.validate import refuse_bad_frame, refuse_orphans


@contextmanager
def mapped_errors() -> Iterator[None]:
    """psycopg's errors as the warehouse's: key violations, a full disk, the rest."""
    try:
        yield
    except psycopg.errors.IntegrityError as exc:
        raise WarehouseIntegrityError(str(exc)) from exc
    except psycopg.errors.DiskFull as exc:
        raise WarehouseDiskError(
            f"the Postgres server's disk is full ({exc}); free space on the database server "
            "(or raise its quota), then run again; the transaction was rolled back"
        ) from exc
    except psycopg.Error as exc:
        raise WarehouseQueryError(str(exc)) from exc


class PgTx(Tx):
    engine: ClassVar[Engine] = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._staged: dict[tuple[str, str], str] = {}  # (table, partition) -> staged table

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        query, values = bind_params(sql, params, "postgres")
        with mapped_errors():
            self.conn.execute(query, values)

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        query, values = bind_params(sql, params, "postgres")
        with mapped_errors():
            return self.conn.execute(query, values).fetchall()

    def fetch_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        query, values = bind_params(sql.strip().rstrip(";"), params, "postgres")
        with mapped_errors(), self.conn.cursor() as cur:
            return copy_out(cur, query, values)

    def stage(self, name: str, frame: pl.DataFrame, info: TableInfo) -> None:
        cols = ", ".join(quote(c) for c in frame.columns)
        with mapped_errors(), self.conn.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE {quote(name)} ON COMMIT DROP AS SELECT {cols} "
                f"FROM {quote(SCHEMA)}.{quote(info.name)} WITH NO DATA"
            )
            copy_in(cur, quote(name), frame, info.types)

    def insert(self, info: TableInfo, frame: pl.DataFrame) -> None:
        with mapped_errors(), self.conn.cursor() as cur:
            copy_in(cur, f"{quote(SCHEMA)}.{quote(info.name)}", frame, info.types)

    def introspect(self) -> list[TableInfo]:
        with mapped_errors():
            return introspect(self.conn)

    def restart(self) -> None:
        raise NotImplementedError("postgres never needs a second transaction")

    # --- one partition per value of a LIST-partitioned table (fact_interrupciones) ----------

    def stage_partition(
        self, info: TableInfo, values: Mapping[str, Any], frame: pl.DataFrame
    ) -> None:
        """Bulk-load ``frame`` into a new table shaped like the parent (NOT NULL and CHECK
        constraints included) and bounded by a CHECK on ``values``: COPY with no per-row
        trigger.

        Swaps of one table run one at a time, from here to commit: SHARE UPDATE EXCLUSIVE
        conflicts with itself but not with readers or writers of other tables. It must come
        before anything else touches the parent: two swaps each holding a weaker lock on it
        (``LIKE`` takes one) would deadlock when both want the ACCESS EXCLUSIVE lock of DROP."""
        (column,) = info.partition_by  # LIST partitioning: one column
        parent = f"{quote(SCHEMA)}.{quote(info.name)}"
        self.execute(f"LOCK TABLE {parent} IN SHARE UPDATE EXCLUSIVE MODE")
        staged = f"{partition_table(info, values)[:50]}__{uuid.uuid4().hex[:8]}"
        bound = f"{quote(column)} = {sql_literal(values[column])}"
        with mapped_errors(), self.conn.cursor() as cur:
            cur.execute(
                f"CREATE TABLE {quote(SCHEMA)}.{quote(staged)} (LIKE {parent} INCLUDING DEFAULTS "
                f"INCLUDING CONSTRAINTS, CHECK ({bound}))"
            )
            if frame.height:
                refuse_bad_frame(info, values, frame)
                copy_in(cur, f"{quote(SCHEMA)}.{quote(staged)}", frame, info.types)
        self._staged[(info.name, partition_table(info, values))] = staged

    def attach_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Make the table :meth:`stage_partition` filled the partition of ``values``: ATTACH
        builds the parent's indexes on it and validates every foreign key with one set-based
        query (not a trigger per row). Any violation aborts the transaction.

        ATTACH runs in a savepoint: when a foreign key fails, the savepoint is rolled back and
        :func:`refuse_orphans` names the month and a few orphans of each key (Postgres names
        one row). A good month pays for one validation, not two (docs/benchmarks.md)."""
        (column,) = info.partition_by
        final = partition_table(info, values)
        staged = self._staged.pop((info.name, final))
        with mapped_errors():
            self.conn.execute(
                f"ALTER TABLE {quote(SCHEMA)}.{quote(staged)} RENAME TO {quote(final)}"
            )
        try:
            with mapped_errors(), self.conn.transaction():  # a savepoint
                self.conn.execute(
                    f"ALTER TABLE {quote(SCHEMA)}.{quote(info.name)} ATTACH PARTITION "
                    f"{quote(SCHEMA)}.{quote(final)} FOR VALUES IN ({sql_literal(values[column])})"
                )
        except WarehouseIntegrityError:
            refuse_orphans(self, info, values, final)  # raises, naming the orphans
            raise

"""The shared warehouse: Postgres, reached through ``SEC_PG_DSN``.

Bulk paths are COPY both ways: frames in as binary COPY encoded from Arrow by ``pgpq`` (CSV
written by Polars when a column has no exact binary type: :func:`binary_frame`), results out as
CSV read by Polars with the query's column types. Each call uses its own connection (autocommit,
``TimeZone`` UTC) and one transaction, so concurrent monthly loads touch only their own month.
Tables stored per month are LIST-partitioned (:mod:`.partitions`); the catalog queries show
callers the parent only.

The DSN is a secret: kept as ``SecretStr``, shown as ``host:port/dbname`` only in reprs and
errors; the driver's exception, which may quote it, has every secret of the DSN masked by value
and is never chained.
"""

from __future__ import annotations

import contextlib
import io
import select
import threading
import time
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import psycopg
from pgpq import ArrowToPostgresBinaryEncoder
from psycopg import pq
from pydantic import SecretStr

from sec_assets.warehouse.base import Engine, Tx, Warehouse
from sec_assets.warehouse.dsn import describe_dsn, misread, redact_text
from sec_assets.warehouse.errors import (
    WarehouseConnectionError,
    WarehouseDiskError,
    WarehouseIntegrityError,
    WarehouseLockTimeout,
    WarehouseQueryError,
)
from sec_assets.warehouse.kept import KeptConnection
from sec_assets.warehouse.params import bind_params
from sec_assets.warehouse.partitions import DEFAULT_SUFFIX, partition_table, sql_literal
from sec_assets.warehouse.readtypes import from_pg_text, pg_schema
from sec_assets.warehouse.replace import Plan, swaps_partition
from sec_assets.warehouse.schema import SCHEMA, TableInfo, build_tables, quote
from sec_assets.warehouse.validate import refuse_bad_frame, refuse_orphans

COPY_CHUNK_ROWS = 100_000
MONTH_STATISTICS_TARGET = 30  # ANALYZE of a month's table (the server's default is 100)
_sessions = threading.local()  # id(warehouse) -> the connection of this thread's session()
_SCHEMA_LOCK_KEY = 7_240_301  # pg_advisory_xact_lock key serializing ensure_schema

# Partitions of a partitioned table are tables of the schema too: the catalog queries skip
# them (relispartition), so callers only ever see the partitioned parent.
_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
JOIN pg_namespace ns ON ns.nspname = c.table_schema
JOIN pg_class cl ON cl.relnamespace = ns.oid AND cl.relname = c.table_name
WHERE c.table_schema = %(schema)s AND NOT cl.relispartition
ORDER BY c.table_name, c.ordinal_position
"""
_PARTITIONED = """
SELECT cl.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_partitioned_table p
JOIN pg_class cl ON cl.oid = p.partrelid
JOIN pg_namespace ns ON ns.oid = cl.relnamespace
WHERE ns.nspname = %(schema)s
"""
_CONSTRAINTS = """
SELECT cl.relname, con.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       fcl.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = cl.relnamespace
LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
WHERE ns.nspname = %(schema)s AND con.contype IN ('p', 'u', 'f') AND NOT cl.relispartition
ORDER BY cl.relname, con.conname
"""


@contextmanager
def _mapped_errors() -> Iterator[None]:
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


#: Postgres column types (information_schema's spelling) that binary COPY carries, and the
#: Polars type whose Arrow form ``pgpq`` encodes as exactly that type. No ``real``: a strict
#: cast of 1e300 to Float32 gives inf where Postgres refuses the value.
_BINARY_TYPES: dict[str, pl.DataType] = {
    "smallint": pl.Int16(),
    "integer": pl.Int32(),
    "bigint": pl.Int64(),
    "double precision": pl.Float64(),
    "boolean": pl.Boolean(),
    "text": pl.String(),
    "character varying": pl.String(),
    "date": pl.Date(),
    "timestamp without time zone": pl.Datetime("us"),
    "timestamp with time zone": pl.Datetime("us", "UTC"),
}


def _castable(have: pl.DataType, want: pl.DataType) -> bool:
    """``have`` becomes ``want`` with no change of meaning (a value that does not fit fails the
    strict cast): integers to integers or floats, floats to floats, same kind otherwise."""
    if have == want or isinstance(have, pl.Null):
        return True
    if have.is_integer():
        return want.is_integer() or want.is_float()
    if have.is_float():
        return want.is_float()
    return isinstance(have, pl.Datetime) and have.time_zone == getattr(want, "time_zone", "-")


def binary_frame(frame: pl.DataFrame, types: Mapping[str, str]) -> pl.DataFrame | None:
    """``frame`` cast to its columns' exact Postgres types for binary COPY (an INTEGER column
    takes 4 bytes, not 8), or None when some column has no such type here, holds values of
    another kind, or a value that does not fit: the CSV path then lets Postgres read (or
    refuse, with its own error) what it would always have read."""
    exprs: list[pl.Expr] = []
    for name, have in frame.schema.items():
        want = _BINARY_TYPES.get(types.get(name, "").lower())
        if want is None or not _castable(have, want):
            return None
        exprs.append(pl.col(name).cast(want, strict=True))
    try:
        return frame.select(exprs)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        return None


def copy_in(
    cur: psycopg.Cursor[Any], target: str, frame: pl.DataFrame, types: Mapping[str, str]
) -> None:
    """``COPY target (frame columns) FROM STDIN``, chunk by chunk: binary, encoded from Arrow
    by ``pgpq`` (no text to write or for the server to parse: half the time of CSV, README,
    Benchmarks), when every column casts exactly to its type in ``types`` (the target's
    columns); else CSV written by Polars.

    In CSV, non-numeric values are quoted, so an empty string stays '' and only a missing value
    is NULL (and a lone ``\\.`` cannot end the data early).
    """
    cols = ", ".join(quote(c) for c in frame.columns)
    exact = binary_frame(frame, types)
    if exact is not None:
        table = exact.to_arrow()
        encoder = ArrowToPostgresBinaryEncoder(table.schema)
        with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(encoder.write_header())
            for batch in table.to_batches(max_chunksize=COPY_CHUNK_ROWS):
                copy.write(encoder.write_batch(batch))
            copy.write(encoder.finish())
        return
    with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for chunk in frame.iter_slices(COPY_CHUNK_ROWS):
            copy.write(chunk.write_csv(include_header=False, quote_style="non_numeric").encode())


def copied_out(conn: psycopg.Connection[Any], statement: str) -> bytes:
    """What ``statement`` (a ``COPY … TO STDOUT``, parameters bound) sends, in the connection's
    current transaction, read straight from libpq. The server sends one message per row, and
    psycopg's ``Copy.read()`` spends a microsecond of Python waiting machinery on each: the
    1.09M rows of a year's episodes read-back took 1.0–1.1 s to receive that way, 0.65–0.84 s
    (half the CPU) this way (README, Benchmarks). Rows already received are taken without
    waiting; otherwise the wait is a ``select`` on the socket, which lets other threads and
    signal handlers run (libpq's blocking calls would hold the GIL until the server speaks).
    An error, or an interrupt, leaves the connection usable: a COPY still running is
    cancelled and drained before the exception goes on."""
    pg = conn.pgconn
    encoding = conn.info.encoding
    buf = io.BytesIO()  # written as it comes: keeping a million row buffers costs more
    try:
        pg.send_query(statement.encode(encoding))
        while pg.flush():  # the statement not all sent yet (a non-blocking connection)
            _wait(pg, write=True)
        started = _next_result(pg)
        if started is None or started.status != pq.ExecStatus.COPY_OUT:
            _drain(pg)
            raise _failed(started, encoding)
        while (got := pg.get_copy_data(1))[0] >= 0:
            if got[0]:
                buf.write(got[1])
            else:  # nothing whole received yet
                _wait(pg)
        ended = _next_result(pg)
        _drain(pg)
    except BaseException:
        _abandon(conn)
        raise
    if ended is None or ended.status != pq.ExecStatus.COMMAND_OK:
        raise _failed(ended, encoding)
    return buf.getvalue()


def _wait(pg: pq.abc.PGconn, *, write: bool = False, timeout_s: float | None = None) -> bool:
    """Wait until the socket is readable (writable) and take in what arrived; False when
    ``timeout_s`` passed first."""
    ready = (
        select.select([], [pg.socket], [], timeout_s)[1]
        if write
        else select.select([pg.socket], [], [], timeout_s)[0]
    )
    if ready and not write:
        pg.consume_input()
    return bool(ready)


def _next_result(pg: pq.abc.PGconn) -> pq.abc.PGresult | None:
    """The next result, waited for on the socket (``get_result`` would block holding the GIL)."""
    while pg.is_busy():
        _wait(pg)
    return pg.get_result()


def _drain(pg: pq.abc.PGconn) -> None:
    """Read the results left, so that the connection takes commands again."""
    while _next_result(pg) is not None:
        pass


def _failed(result: pq.abc.PGresult | None, encoding: str) -> psycopg.Error:
    if result is None:
        return psycopg.OperationalError("the server answered the COPY with no result")
    return psycopg.errors.error_from_result(result, encoding=encoding)


#: How long an abandoned COPY may take to stop once cancelled before its connection is left
#: to its owner to close.
ABANDON_TIMEOUT_S = 5.0


def _abandon(conn: psycopg.Connection[Any]) -> None:
    """Stop a COPY out midway: if the server is still running it, it is cancelled, and what
    it still sends is read and dropped. The transaction is then failed (its owner rolls it
    back); a broken connection, or one that does not stop in time, is left to its owner."""
    pg = conn.pgconn
    if pg.transaction_status != pq.TransactionStatus.ACTIVE:  # nothing running any more
        return
    deadline = time.monotonic() + ABANDON_TIMEOUT_S
    copying = True  # not known: libpq says so when asked for data outside a COPY
    with contextlib.suppress(psycopg.Error, OSError):
        conn.cancel_safe(timeout=ABANDON_TIMEOUT_S)
        while (left := deadline - time.monotonic()) > 0:
            if copying:
                try:
                    got = pg.get_copy_data(1)[0]
                except psycopg.OperationalError:  # no COPY in progress
                    copying = False
                    continue
                if got == 0:
                    _wait(pg, timeout_s=left)
                copying = got >= 0
            elif pg.is_busy():
                _wait(pg, timeout_s=left)
            elif (result := pg.get_result()) is None:
                return
            else:  # the start of the COPY, if the interrupt came just before it was read
                copying = result.status == pq.ExecStatus.COPY_OUT


def copy_out(cur: psycopg.Cursor[Any], query: str, params: dict[str, Any] | None) -> pl.DataFrame:
    """The result of ``query`` via ``COPY (query) TO STDOUT``, typed from its column OIDs."""
    cur.execute(f"SELECT * FROM ({query}) AS _sec_q LIMIT 0", params)
    if cur.description is None:
        raise ValueError("read() takes a query (SELECT / WITH / VALUES / TABLE)")
    names = [d.name for d in cur.description]
    oids = [d.type_code for d in cur.description]
    statement = f"COPY ({query}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)"
    with psycopg.ClientCursor(cur.connection) as binder:  # COPY takes no bind parameters
        statement = binder.mogrify(statement, params)
    data = copied_out(cur.connection, statement)
    if not data:
        return pl.DataFrame(schema=pg_schema(names, oids))
    text = pl.read_csv(
        data,
        has_header=False,
        new_columns=names,
        schema=dict.fromkeys(names, pl.String),
        encoding="utf8",
    )
    return text.select(from_pg_text(n, o) for n, o in zip(names, oids, strict=True))


class _PgTx(Tx):
    engine: ClassVar[Engine] = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._staged: dict[tuple[str, str], str] = {}  # (table, partition) -> staged table

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        query, values = bind_params(sql, params, "postgres")
        with _mapped_errors():
            self.conn.execute(query, values)

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        query, values = bind_params(sql, params, "postgres")
        with _mapped_errors():
            return self.conn.execute(query, values).fetchall()

    def fetch_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        query, values = bind_params(sql.strip().rstrip(";"), params, "postgres")
        with _mapped_errors(), self.conn.cursor() as cur:
            return copy_out(cur, query, values)

    def stage(self, name: str, frame: pl.DataFrame, info: TableInfo) -> None:
        cols = ", ".join(quote(c) for c in frame.columns)
        with _mapped_errors(), self.conn.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE {quote(name)} ON COMMIT DROP AS SELECT {cols} "
                f"FROM {quote(SCHEMA)}.{quote(info.name)} WITH NO DATA"
            )
            copy_in(cur, quote(name), frame, info.types)

    def insert(self, info: TableInfo, frame: pl.DataFrame) -> None:
        with _mapped_errors(), self.conn.cursor() as cur:
            copy_in(cur, f"{quote(SCHEMA)}.{quote(info.name)}", frame, info.types)

    def introspect(self) -> list[TableInfo]:
        params = {"schema": SCHEMA}
        with _mapped_errors():
            columns = self.conn.execute(_COLUMNS, params).fetchall()
            constraints = self.conn.execute(_CONSTRAINTS, params).fetchall()
            partitioned = self.conn.execute(_PARTITIONED, params).fetchall()
        return build_tables(columns, constraints, {t: tuple(cols) for t, cols in partitioned})

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
        with _mapped_errors(), self.conn.cursor() as cur:
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
        one row). A good month pays for one validation, not two (README, Benchmarks)."""
        (column,) = info.partition_by
        final = partition_table(info, values)
        staged = self._staged.pop((info.name, final))
        with _mapped_errors():
            self.conn.execute(
                f"ALTER TABLE {quote(SCHEMA)}.{quote(staged)} RENAME TO {quote(final)}"
            )
        try:
            with _mapped_errors(), self.conn.transaction():  # a savepoint
                self.conn.execute(
                    f"ALTER TABLE {quote(SCHEMA)}.{quote(info.name)} ATTACH PARTITION "
                    f"{quote(SCHEMA)}.{quote(final)} FOR VALUES IN ({sql_literal(values[column])})"
                )
        except WarehouseIntegrityError:
            refuse_orphans(self, info, values, final)  # raises, naming the orphans
            raise


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
        super().__init__(sql_dir=sql_dir)
        self._dsn = dsn if isinstance(dsn, SecretStr) else SecretStr(dsn)
        self.connect_timeout_s = connect_timeout_s
        self._kept: KeptConnection | None = None

    def keep_open(self, *, idle_s: float) -> None:
        """From now on, the calls of this warehouse share one connection (for a Dagster run:
        see :mod:`.kept`), closed after ``idle_s`` unused, after an error raised through it,
        and at :meth:`release_kept`. Named locks keep their own connection, and so does a call
        made inside another's transaction (it commits on its own, as without this)."""
        if self._kept is None:
            opener = lambda _write: (nullcontext(), self._connect())  # noqa: E731
            usable = lambda c: not c.closed and not c.broken  # noqa: E731
            self._kept = KeptConnection(opener, idle_s=idle_s, usable=usable)

    def release_kept(self) -> int:
        """Close the kept connection; returns how many times it was opened."""
        kept, self._kept = self._kept, None
        if kept is None:
            return 0
        kept.release()
        return kept.opened

    @property
    def where(self) -> str:
        """``host:port/dbname``: never the user or the password."""
        return describe_dsn(self._dsn.get_secret_value())

    def __repr__(self) -> str:
        return f"PostgresWarehouse({self.where})"

    def _connect(self) -> psycopg.Connection[Any]:
        dsn = self._dsn.get_secret_value()
        failure: str | None = None
        try:
            conn = psycopg.connect(
                dsn,
                autocommit=True,
                connect_timeout=max(1, round(self.connect_timeout_s)),
                application_name="sec_assets",
                client_encoding="utf8",
            )
        except Exception as exc:  # the driver's text may quote the DSN: redact, do not chain
            failure = f"{type(exc).__name__}: " + (
                misread(dsn) or redact_text(" ".join(str(exc).split()), dsn)
            )
        if failure is not None:
            raise WarehouseConnectionError(f"cannot connect to Postgres at {self.where}: {failure}")
        self.connections_opened += 1
        try:
            conn.execute("SET TIME ZONE 'UTC'")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _named_lock(self, name: str, timeout_s: float) -> Iterator[None]:
        """A session advisory lock, its key derived from ``name``, on a connection of its own
        (held until the block ends, whatever the block's transactions do); the wait is bounded
        by ``lock_timeout``."""
        key = zlib.crc32(f"sec_assets.{name}".encode())
        with self._connect() as conn:
            try:
                conn.execute(
                    "SELECT set_config('lock_timeout', %s, false)", (f"{int(timeout_s * 1000)}ms",)
                )
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            except psycopg.errors.LockNotAvailable:
                raise WarehouseLockTimeout(
                    f"the warehouse lock {name!r} stayed held by another load for {timeout_s:g} s"
                ) from None
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every call of this warehouse inside the block, on this thread, shares one
        connection (each call still its own transaction): a ranged load or a gold step
        connects once, not once per call."""
        key = id(self)
        sessions: dict[int, psycopg.Connection[Any]] = getattr(_sessions, "cons", {})
        if key in sessions:
            yield
            return
        with self._connection() as conn:
            _sessions.cons = {**sessions, key: conn}
            try:
                yield
            finally:
                _sessions.cons = sessions

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        shared = getattr(_sessions, "cons", {}).get(id(self))
        if shared is not None:
            yield shared
            return
        kept = self._kept
        if kept is not None and not kept.in_use_here():  # a nested call: its own, as before
            with kept.connection(write=True) as conn:
                yield conn
            return
        with self._connect() as conn:
            yield conn

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A psycopg connection (autocommit; use ``with conn.transaction():``), TimeZone UTC;
        inside :meth:`session`, the session's."""
        with self._connection() as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        with self._connection() as conn, _mapped_errors(), conn.transaction():
            yield _PgTx(conn)

    def _schema_lock(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(:key)", {"key": _SCHEMA_LOCK_KEY})

    def _exclusive(self, tx: Tx, table: str) -> None:
        """No load of an older process may write ``table`` between its copy and its drop."""
        tx.execute(f"LOCK TABLE {quote(SCHEMA)}.{quote(table)} IN ACCESS EXCLUSIVE MODE")

    def _refresh_statistics(self, plans: Sequence[Plan]) -> None:
        """ANALYZE what a replace wrote. Autovacuum analyzes a bulk-loaded table only later
        (and never a partitioned parent), so gold, which reads right after a load, would plan
        its joins on empty-table estimates: nested loops over a million facts. A table stored
        per month gets its new month's table analyzed, not the parent (that would sample every
        month, a cost growing with the history).

        A month's table is sampled at :data:`MONTH_STATISTICS_TARGET` (9,000 rows, 30
        histogram buckets: about a day each), not the default 100 (30,000 rows): its ANALYZE
        costs a quarter as much, and the planner needs its row count and the spread of a few
        join keys, not fine histograms of md5 text (README, Benchmarks)."""
        tables: dict[str, None] = {}
        months: dict[str, None] = {}
        for step, info in plans:
            if not info.partition_by:
                tables[f"{quote(SCHEMA)}.{quote(info.name)}"] = None
            elif swaps_partition(step, info):
                months[f"{quote(SCHEMA)}.{quote(partition_table(info, step.where))}"] = None
        if not (tables or months):
            return
        # Autocommit: ANALYZE of several tables takes each in a transaction of its own (in one
        # transaction, two loads analyzing the shared tables deadlock on their locks).
        with self._connection() as conn, _mapped_errors():
            if tables:
                conn.execute(f"ANALYZE {', '.join(tables)}")
            if months:
                conn.execute(f"SET default_statistics_target = {MONTH_STATISTICS_TARGET}")
                try:
                    conn.execute(f"ANALYZE {', '.join(months)}")
                finally:
                    conn.execute("RESET default_statistics_target")

    def _schema_setup(self, tx: Tx, tables: dict[str, TableInfo]) -> None:
        for info in tables.values():
            if info.partition_by:  # rows outside any month's partition land here
                default = quote(info.name + DEFAULT_SUFFIX)
                tx.execute(
                    f"CREATE TABLE IF NOT EXISTS {quote(SCHEMA)}.{default} "
                    f"PARTITION OF {quote(SCHEMA)}.{quote(info.name)} DEFAULT"
                )
            keys = [info.primary_key, *info.unique]
            # Postgres does not index the referencing side of a foreign key. Index every
            # ``month`` column (the month deletes; not a table partitioned by month) and the
            # foreign keys to tables with months (deleting a ledger hour looks its children
            # up). Foreign keys to dimensions stay unindexed: dimension rows are never deleted,
            # and each such index slows every load (README, Benchmarks).
            wanted = [
                fk.columns
                for fk in info.foreign_keys
                if "month" in tables.get(fk.ref_table, info).columns
            ]
            if "month" in info.columns and info.partition_by != ("month",):
                wanted.append(("month",))
            for cols in dict.fromkeys(wanted):
                if any(key[: len(cols)] == cols for key in keys):
                    continue  # already the leading columns of a key's index
                name = f"ix_{info.name}__{'_'.join(cols)}"[:63]
                tx.execute(
                    f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(SCHEMA)}."
                    f"{quote(info.name)} ({', '.join(quote(c) for c in cols)})"
                )

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

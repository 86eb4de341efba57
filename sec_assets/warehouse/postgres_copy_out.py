"""Query results out of Postgres by ``COPY (query) TO STDOUT``: the COPY-out loop on libpq
(:func:`copied_out`), stopping a COPY midway (:func:`_abandon`), and the CSV read back as a
frame typed from the query's column OIDs (:func:`copy_out`)."""

from __future__ import annotations

import contextlib
import io
import select
import time
from typing import Any

import polars as pl
import psycopg
from psycopg import pq

from sec_assets.warehouse.readtypes import from_pg_text, pg_schema


def copied_out(conn: psycopg.Connection[Any], statement: str) -> bytes:
    """What ``statement`` (a ``COPY … TO STDOUT``, parameters bound) sends, in the connection's
    current transaction, read straight from libpq. The server sends one message per row, and
    psycopg's ``Copy.read()`` spends Python waiting machinery on each, which dominates the
    receipt of a large result; reading libpq directly spends far less CPU per row
    (docs/benchmarks.md). Rows already received are taken without waiting; otherwise the wait
    is a ``select`` on the socket, which lets other threads and signal handlers run (libpq's
    blocking calls would hold the GIL until the server speaks). An error, or an interrupt,
    leaves the connection usable: a COPY still running is cancelled and drained before the
    exception goes on."""
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

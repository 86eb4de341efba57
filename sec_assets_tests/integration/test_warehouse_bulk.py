"""The bulk paths (Arrow into DuckDB; binary COPY, or CSV, into Postgres) and reads, value for
value."""

from __future__ import annotations

import signal
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import psycopg
import pytest

from sec_assets.warehouse import Warehouse
from sec_assets.warehouse.errors import WarehouseError, WarehouseQueryError
from sec_assets.warehouse.postgres_engine import binary_frame
from sec_assets_tests.integration import test_warehouse_support as support
from sec_assets_tests.integration.test_warehouse_support import (
    ledger,
    table,
)

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

NASTY = [
    "Peñalolén",
    'Ñuñoa, "centro"',
    "O`Higgins",
    "Libertador General Bernardo O'Higgins",
    "line one\nline two",
    "crlf\r\nend",
    "tab\there; semi",
    "",
    "\\N",
    "\\.",
    "100% luz, sin `backticks`?",
    "  padded  ",
    "emoji ⚡ ümlaut ç",
]


def test_text_round_trips_exactly(warehouse: Warehouse) -> None:
    n = len(NASTY)
    frame = pl.DataFrame(
        {
            "month": ["2024-01"] * (n + 1),
            "hour_key": [f"2024-01-01T{i:02d}" for i in range(n + 1)],
            "reason": ["schema_error"] * (n + 1),
            "source_file": [*NASTY, "plain"],
            "detail": [*NASTY, None],  # '' stays '', a missing value stays NULL
        }
    )
    assert warehouse.replace_partition("quarantine", frame, where={"month": "2024-01"}) == n + 1
    got = table(warehouse, "quarantine", order="hour_key")
    assert got.equals(frame)
    assert got.filter(pl.col("detail").is_null())["source_file"].to_list() == ["plain"]


def test_timestamps_booleans_and_big_integers_round_trip(seeded: Warehouse) -> None:
    frame = ledger("2024-01", hours=4).with_columns(
        customers=pl.Series([0, 2**62, -(2**53) - 1, 9_223_372_036_854_775_807]),
        hora_utc=pl.Series(
            [
                datetime(2024, 1, 1, 3, 0, 0, 123456, tzinfo=UTC),
                datetime(2024, 1, 1, 4, tzinfo=UTC),
                datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
            ]
        ),
        fetched_at=pl.Series([None, datetime(2024, 1, 1, tzinfo=UTC), None, None]),
        server_time=pl.Series([None, datetime(2024, 1, 1, 0, 0, 1, 5), None, None]),
        error=pl.Series([None, "", 'timeout, "retry"', "ñ\n"]),
        era=pl.Series([None, "legacy", "current", "empty"]),
    )
    seeded.replace_partition("snapshot_ledger", frame, where={"month": "2024-01"})
    got = table(seeded, "snapshot_ledger")
    expected = frame.with_columns(pl.col(pl.Int32).cast(pl.Int64))
    assert got.schema == expected.schema
    assert got.equals(expected)


def test_timezones_are_made_explicit(seeded: Warehouse) -> None:
    santiago = datetime(2024, 1, 1, 0, tzinfo=UTC).replace(tzinfo=None)
    frame = ledger("2024-01", hours=1).with_columns(
        hora_utc=pl.Series([santiago]).dt.replace_time_zone("America/Santiago"),
        fetched_at=pl.Series([santiago]),  # naive for TIMESTAMPTZ: taken as UTC
    )
    seeded.replace_partition("snapshot_ledger", frame, where={"month": "2024-01"})
    got = seeded.read("SELECT hora_utc, fetched_at FROM silver.snapshot_ledger")
    assert got.row(0) == (
        datetime(2024, 1, 1, 3, tzinfo=UTC),  # midnight in Santiago (UTC-3 in summer)
        datetime(2024, 1, 1, 0, tzinfo=UTC),
    )
    aware_for_naive = frame.with_columns(
        hora_local=pl.col("hora_local").dt.replace_time_zone("UTC")
    )
    with pytest.raises(ValueError, match="naive TIMESTAMP"):
        seeded.replace_partition("snapshot_ledger", aware_for_naive, where={"month": "2024-01"})


def test_reads_have_the_same_dtypes_on_both_engines(seeded: Warehouse) -> None:
    seeded.replace_partition(
        "snapshot_ledger", ledger("2024-01", hours=3), where={"month": "2024-01"}
    )
    got = seeded.read(
        """
        SELECT hour_key, hora_local, hora_utc, CAST(hora_local AS DATE) AS fecha,
               tiempo_id, customers, sum(customers) OVER () AS total,
               CAST(customers AS DOUBLE PRECISION) / 7 AS ratio, status = 'ok' AS ok,
               CAST(NULL AS TEXT) AS nothing, '100%' AS pct, 'a:b' AS colon
        FROM silver.snapshot_ledger
        WHERE month = :month AND hour_key LIKE '2024-01-01T0%' AND tiempo_id::int > :min
        ORDER BY hour_key
        """,
        {"month": "2024-01", "min": 0},
    )
    assert got.schema == pl.Schema(
        {
            "hour_key": pl.String,
            "hora_local": pl.Datetime("us"),
            "hora_utc": pl.Datetime("us", "UTC"),
            "fecha": pl.Date,
            "tiempo_id": pl.Int64,
            "customers": pl.Int64,
            "total": pl.Float64,  # sum(bigint) is numeric / hugeint: Float64 on both
            "ratio": pl.Float64,
            "ok": pl.Boolean,
            "nothing": pl.String,
            "pct": pl.String,
            "colon": pl.String,
        }
    )
    assert got.height == 3
    assert got["fecha"].to_list() == [date(2024, 1, 1)] * 3
    assert got["pct"].to_list() == ["100%"] * 3 and got["colon"].to_list() == ["a:b"] * 3
    empty = seeded.read(
        "SELECT hour_key, hora_utc, customers FROM silver.snapshot_ledger WHERE false"
    )
    assert empty.is_empty()
    assert empty.schema == pl.Schema(
        {"hour_key": pl.String, "hora_utc": pl.Datetime("us", "UTC"), "customers": pl.Int64}
    )


PG_TYPES = {
    "a": "integer",
    "b": "bigint",
    "c": "text",
    "d": "timestamp without time zone",
    "e": "double precision",
    "f": "timestamp with time zone",
}


def test_postgres_copies_binary_only_what_casts_exactly() -> None:
    frame = pl.DataFrame(
        {
            "a": [1, None],  # Int64 into INTEGER: 4 bytes on the wire, not 8
            "b": [2**40, 3],
            "c": ["x", None],
            "d": [datetime(2024, 1, 1), None],
            "e": [1, 2],  # integers into DOUBLE PRECISION
            "f": [datetime(2024, 1, 1, tzinfo=UTC), None],
        }
    )
    got = binary_frame(frame, PG_TYPES)
    assert got is not None
    assert got.schema == pl.Schema(
        {
            "a": pl.Int32,
            "b": pl.Int64,
            "c": pl.String,
            "d": pl.Datetime("us"),
            "e": pl.Float64,
            "f": pl.Datetime("us", "UTC"),
        }
    )
    assert got.cast(frame.schema).equals(frame)  # nothing changed but the width
    # Everything else goes as CSV, which Postgres reads (or refuses) as it always did.
    for odd in (
        pl.DataFrame({"a": [2**40]}),  # does not fit INTEGER
        pl.DataFrame({"a": ["12"]}),  # text into INTEGER
        pl.DataFrame({"a": [1.5]}),  # a float into INTEGER
        pl.DataFrame({"d": [datetime(2024, 1, 1, tzinfo=UTC)]}),  # tz-aware into TIMESTAMP
        pl.DataFrame({"z": [1]}),  # a type binary COPY is not used for here
        pl.DataFrame({"r": [1e300]}),  # REAL: a Float32 cast would store inf, not refuse it
    ):
        assert binary_frame(odd, {**PG_TYPES, "z": "numeric", "r": "real"}) is None, odd


def test_a_value_too_big_for_its_column_is_refused_and_nothing_is_written(
    seeded: Warehouse,
) -> None:
    """On Postgres this frame goes as CSV (it does not fit binary COPY's INTEGER) and the
    server refuses it; on DuckDB the cast refuses it. The month is left as it was."""
    good = ledger("2024-01", hours=2)
    seeded.replace_partition("snapshot_ledger", good, where={"month": "2024-01"})
    bad = good.with_columns(rows_raw=pl.Series([1, 2**40]))
    with pytest.raises(WarehouseError, match=r"(?i)out of range"):
        seeded.replace_partition("snapshot_ledger", bad, where={"month": "2024-01"})
    assert table(seeded, "snapshot_ledger")["rows_raw"].to_list() == [10, 10]
    # Digits as text still load (CSV), as before binary COPY.
    digits = good.with_columns(rows_raw=pl.Series(["7", "8"]))
    seeded.replace_partition("snapshot_ledger", digits, where={"month": "2024-01"})
    assert table(seeded, "snapshot_ledger", order="hour_key")["rows_raw"].to_list() == [7, 8]


class _Interrupted(Exception):
    """What the test's alarm raises in the middle of a read."""


@pytest.mark.postgres
def test_a_postgres_read_failing_midway_leaves_the_session_usable(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The server fails a COPY out after sending half its rows: the read raises the server's
    error, and the next read on the same connection answers."""
    wh = support.make_warehouse("postgres", request, tmp_path, "schema")
    with wh.session():
        with pytest.raises(WarehouseQueryError, match="division by zero"):
            wh.read("SELECT 1 / (x - 50000) AS v FROM generate_series(1, 100000) AS x")
        got = wh.read("SELECT :t AS t, x FROM generate_series(1, 3) AS x", {"t": "O'Higgins; --"})
    assert got.to_dicts() == [{"t": "O'Higgins; --", "x": x} for x in (1, 2, 3)]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "query",
    [
        # 2e9 rows streamed: interrupted between rows (minutes to run otherwise)
        "SELECT generate_series(1, 2000000000) AS x",
        # no row for ten minutes: interrupted while waiting for the first (the wait must let
        # the signal handler run, or the test times out)
        "SELECT pg_sleep(600) AS x",
    ],
    ids=["streaming", "before-the-first-row"],
)
def test_an_interrupted_postgres_read_is_cancelled_and_the_session_goes_on(
    request: pytest.FixtureRequest, tmp_path: Path, pg_session_database: str, query: str
) -> None:
    """An interrupt (a run's termination, Ctrl-C) in the middle of a long read: the exception
    goes on, the server stops the query (cancelled, not left running: seen from another
    connection), and the session's connection takes the next read."""
    wh = support.make_warehouse("postgres", request, tmp_path, "schema")

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with wh.session():
            signal.setitimer(signal.ITIMER_REAL, 0.5)
            with pytest.raises(_Interrupted):
                wh.read(query)
            signal.setitimer(signal.ITIMER_REAL, 0)
            assert wh.read("SELECT 1 AS one")["one"].to_list() == [1]
            with psycopg.connect(pg_session_database, autocommit=True) as other:
                running = other.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s "
                    "AND pid <> pg_backend_pid()",
                    (f"%{query[7:30]}%",),
                ).fetchone()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert running == (0,)

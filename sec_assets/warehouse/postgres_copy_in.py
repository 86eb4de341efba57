"""Frames into Postgres by COPY: binary, encoded from Arrow by ``pgpq``, when every column casts
exactly to its Postgres type; else CSV written by Polars (:func:`copy_in`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import psycopg
from pgpq import ArrowToPostgresBinaryEncoder

from sec_assets.warehouse.schema import quote

COPY_CHUNK_ROWS = 100_000


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
    by ``pgpq`` (no text to write or for the server to parse: faster than CSV,
    docs/benchmarks.md), when every column casts exactly to its type in ``types`` (the target's
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

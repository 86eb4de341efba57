"""Hash keys for silver rows: md5 of a few columns, computed by an in-memory DuckDB.

Lives here because it is the one computation outside the warehouse that needs an engine:
callers pass and get back Polars frames and never import ``duckdb`` themselves.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import polars as pl

# One in-memory DuckDB per thread: connecting on every call would cost more than the hash.
_MD5 = threading.local()


def _md5_engine() -> duckdb.DuckDBPyConnection:
    import duckdb

    con = getattr(_MD5, "con", None)
    if con is None:
        con = _MD5.con = duckdb.connect()
    return con


def md5_key(frame: pl.DataFrame, columns: list[str], name: str) -> pl.DataFrame:
    """Add ``name`` = md5 of the columns joined by '|' (nulls as ''), computed by DuckDB."""
    import polars as pl

    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.Utf8).alias(name))
    parts = [pl.col(c).cast(pl.Utf8).fill_null("") for c in columns]
    keyed = frame.select(pl.concat_str(parts, separator="|").alias("k"))
    con = _md5_engine()
    con.register("_sec_keyed", keyed.to_arrow())
    try:
        digests = con.sql("SELECT md5(k) AS h FROM _sec_keyed").pl()["h"]
    finally:
        con.unregister("_sec_keyed")
    return frame.with_columns(digests.alias(name))

"""A release's research tables, restricted to its months: ``reliability_indices`` (region ×
checked month; the major event days drawn on the history before each day, as gold computes
them) and ``data_coverage`` (its months, and the region-months the indices leave out), each as
Parquet and CSV in the codebook's column order, sorted by their key. Validated by their row
models, then compared to their codebook entries before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sec_assets.files import atomic_write
from sec_assets.gold.codebook import mismatches, table
from sec_assets.gold.coverage import data_coverage
from sec_assets.gold.local_files import write_parquet
from sec_assets.gold.payloads import validate_payload
from sec_assets.gold.reliability import reliability_indices
from sec_assets.month import LABEL_FORMAT
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

TABLES = ("reliability_indices", "data_coverage")
#: The data_coverage rows a release keeps: its months, and the rows the indices leave out.
COVERAGE_SCOPES = ("month", "reliability_indices")


class ReleaseError(RuntimeError):
    """A release that cannot be written as its codebook says."""


def reliability(wh: Warehouse, months: list[str]) -> pl.DataFrame:
    import polars as pl

    frame = reliability_indices(wh)
    frame = frame.filter(pl.col("mes").dt.strftime(LABEL_FORMAT).is_in(months))
    return _checked("reliability_indices", frame)


def coverage(wh: Warehouse, months: list[str]) -> pl.DataFrame:
    import polars as pl

    frame = data_coverage(wh).filter(
        pl.col("scope").is_in(COVERAGE_SCOPES) & pl.col("key").str.slice(-7).is_in(months)
    )
    return _checked("data_coverage", frame)


def _checked(table_id: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in its codebook's column order and its key's row order, after its row model
    accepted it; an error when its columns are not the codebook's."""
    validate_payload(table_id, frame)
    spec = table(table_id)
    out = frame.select([c.name for c in spec.columns]).sort(list(spec.primary_key))
    problems = mismatches(spec, out.schema)
    if problems:
        raise ReleaseError("; ".join(problems))
    return out


def csv_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as its CSV holds it: a list of values as one ``;``-separated text."""
    import polars as pl

    lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(
        pl.col(n).list.eval(pl.element().cast(pl.String)).list.join(";") for n in lists
    )


def write_table(root: Path, table_id: str, frame: pl.DataFrame) -> list[str]:
    """``<id>.parquet`` and ``<id>.csv`` under ``root``; their relative paths."""
    write_parquet(frame, root / f"{table_id}.parquet")
    atomic_write(root / f"{table_id}.csv", csv_frame(frame).write_csv())
    return [f"{table_id}.parquet", f"{table_id}.csv"]

"""The golden Parquet's layout: a month of observations sorted by region and comuna spans
several row groups whose statistics give each its own range of regions, so a reader's filter on
region skips the others; the same frame gives the same bytes."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from sec_assets.gold.local_files import ROW_GROUP_ROWS, write_parquet


def month_like(rows: int) -> pl.DataFrame:
    region = (pl.int_range(rows) * 16 // rows + 1).cast(pl.Int32)
    return pl.select(
        region.alias("cut_region"),
        pl.format("{}{}", region, pl.int_range(rows) % 50).alias("cut_comuna"),
        (pl.int_range(rows) % 997).cast(pl.Int64).alias("clientes_afectados"),
    )


def test_row_groups_hold_ordered_regions_a_filter_can_skip(tmp_path: Path) -> None:
    frame = month_like(4 * ROW_GROUP_ROWS)
    path = write_parquet(frame, tmp_path / "data.parquet")
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 4
    column = meta.schema.names.index("cut_region")
    ranges = [
        (
            meta.row_group(i).column(column).statistics.min,
            meta.row_group(i).column(column).statistics.max,
        )
        for i in range(meta.num_row_groups)
    ]
    assert all(hi <= next_lo for (_, hi), (next_lo, _) in pairwise(ranges))
    assert sum(lo <= 13 <= hi for lo, hi in ranges) == 1  # region 13 lives in one group
    assert meta.row_group(0).column(column).compression == "ZSTD"
    again = write_parquet(frame, tmp_path / "again.parquet")
    assert again.read_bytes() == path.read_bytes()
    assert pl.read_parquet(path).equals(frame)

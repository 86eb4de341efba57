"""Gold's local files: each payload asset's validated rows in
``$SEC_DATA_DIR/gold/payloads/<id>.json`` and the golden Parquet of each month and grain, both
replaced atomically. Publishing them to the dashboard is ``gold/sync/``'s job, not this module's.

Every Parquet file is written one way (:func:`write_parquet`): zstd at a fixed level, column
statistics, row groups of :data:`ROW_GROUP_ROWS`, rows in the order given; the same frame gives
the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sec_assets.diskerrors import disk_errors
from sec_assets.files import atomic_write, replacing
from sec_assets.month import Month

if TYPE_CHECKING:
    import polars as pl


def payload_path(data_dir: Path, payload_id: str) -> Path:
    return data_dir / "gold" / "payloads" / f"{payload_id}.json"


def write_payload(data_dir: Path, payload_id: str, rows: list[dict[str, Any]]) -> Path:
    doc = {"id": payload_id, "generated_at": datetime.now(UTC).isoformat(), "rows": rows}
    path = payload_path(data_dir, payload_id)
    with disk_errors(path, "a gold payload"):  # full or read-only disk: say where, what to do
        return atomic_write(path, orjson.dumps(doc))


def read_payload(data_dir: Path, payload_id: str) -> list[dict[str, Any]]:
    path = payload_path(data_dir, payload_id)
    if not path.is_file():
        raise FileNotFoundError(f"payload {payload_id!r} has not been computed ({path})")
    return orjson.loads(path.read_bytes())["rows"]


#: The golden datasets, one folder each under ``gold/parquet/``: the episode grain and the
#: observation grain.
GRAINS = ("fact_eventos", "fact_observaciones")
#: Rows per row group: a month of observations spans several, so a filter on region or comuna
#: (the sort order) skips most of a file by its statistics.
ROW_GROUP_ROWS = 16_384
ZSTD_LEVEL = 3


def write_parquet(frame: pl.DataFrame, path: Path) -> Path:
    """``frame`` to ``path`` (replaced atomically) as every golden file is written."""
    with (
        disk_errors(path, "a Parquet file"),  # full or read-only disk: say where, what to do
        replacing(path) as tmp,
    ):
        frame.write_parquet(
            tmp,
            compression="zstd",
            compression_level=ZSTD_LEVEL,
            statistics=True,
            row_group_size=ROW_GROUP_ROWS,
        )
    return path


def month_path(month: Month) -> Path:
    """A month's partition in a hive-partitioned dataset: ``year=YYYY/month=MM``."""
    return Path(f"year={month.year:04d}") / f"month={month.month:02d}"


def golden_dir(data_dir: Path, month: Month, grain: str = "fact_eventos") -> Path:
    """The month's folder of a golden dataset: ``gold/parquet/<grain>/year=YYYY/month=MM``
    (its Parquet file; the episode grain's also holds the month's picture)."""
    return data_dir / "gold" / "parquet" / grain / month_path(month)


def write_golden_month(
    data_dir: Path, month: Month, frame: pl.DataFrame, grain: str = "fact_eventos"
) -> Path:
    """``gold/parquet/<grain>/year=YYYY/month=MM/data.parquet``, replaced atomically."""
    return write_parquet(frame, golden_dir(data_dir, month, grain) / "data.parquet")


def remove_golden_month(data_dir: Path, month: Month) -> bool:
    """Delete the month's golden files, every grain (a month gold no longer trusts); True if
    one existed."""
    removed = False
    for grain in GRAINS:
        path = golden_dir(data_dir, month, grain) / "data.parquet"
        if path.exists():
            path.unlink()
            removed = True
    return removed

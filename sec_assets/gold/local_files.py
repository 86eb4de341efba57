"""Gold's local files: each payload asset's validated rows in
``$SEC_DATA_DIR/gold/payloads/<id>.json`` and the golden Parquet of each month, both replaced
atomically. Publishing them to the dashboard is ``gold/sync/``'s job, not this module's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from sec_assets.diskerrors import disk_errors
from sec_assets.files import atomic_write, replacing
from sec_assets.month import Month


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


def golden_dir(data_dir: Path, month: Month) -> Path:
    """The month's folder of the golden dataset: ``gold/parquet/fact_eventos/year=YYYY/month=MM``
    (its Parquet file and its picture)."""
    return (
        data_dir
        / "gold"
        / "parquet"
        / "fact_eventos"
        / f"year={month.year:04d}"
        / f"month={month.month:02d}"
    )


def write_golden_month(data_dir: Path, month: Month, frame: pl.DataFrame) -> Path:
    """``gold/parquet/fact_eventos/year=YYYY/month=MM/data.parquet``, replaced atomically."""
    target = golden_dir(data_dir, month) / "data.parquet"
    with (
        disk_errors(target, "the golden Parquet"),  # full or read-only disk: say where, what
        replacing(target) as tmp,
    ):
        frame.write_parquet(tmp, compression="zstd", statistics=True)
    return target


def remove_golden_month(data_dir: Path, month: Month) -> bool:
    """Delete the month's golden file (a month gold no longer trusts); True if one existed."""
    path = golden_dir(data_dir, month) / "data.parquet"
    if not path.exists():
        return False
    path.unlink()
    return True

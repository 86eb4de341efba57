"""Running the gold SQL models (``dbt_like_sql/models/<name>.sql``: one SELECT per file, the file
name is the model's name) on either engine. A model reads the monthly silver tables as
``checked.<table>``: only the months whose blocking checks passed (:mod:`.trusted`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from sec_assets.warehouse.base import Warehouse

GOLD_SQL = Path(__file__).resolve().parents[2] / "dbt_like_sql" / "models"


@cache
def model_sql(name: str) -> str:
    path = GOLD_SQL / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no gold model {name!r} at {path}")
    from sec_assets.gold.trusted import checked_sql

    return checked_sql(path.read_text().strip().rstrip(";"))


def run_model(wh: Warehouse, name: str, params: dict[str, object] | None = None) -> pl.DataFrame:
    """The rows of a gold model, computed by the warehouse."""
    return wh.read(model_sql(name), params)

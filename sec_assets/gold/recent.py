"""``recent_30d`` (a research payload): the episodes of the view ``gold.recent_30d`` — those
whose last hour falls within the 30 days before the newest hour of the checked months — each
row with the window it was taken from: ``window_from`` and ``window_to`` (local hours,
``America/Santiago`` wall clock) and ``as_of``, the newest fetch (UTC) of the answers behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.gold.models import Inputs, model_sql
from sec_assets.gold.refs import render
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

WINDOW_SQL = (
    "SELECT MAX(hora_local) AS window_to, MAX(fetched_at) AS as_of "
    "FROM {{ ref('snapshot_ledger') }} sl"
)
DAYS = 30
# What recent_30d reads: the view's model and the window's query.
INPUTS = Inputs(models=("recent_30d",), queries={"recent_window": WINDOW_SQL})
COLUMNS = [
    "evento_id",
    "first_hour",
    "last_hour",
    "peak_customers",
    "customer_hours",
    "censored_end",
    "cut_comuna",
    "nombre_comuna",
    "nombre_region",
    "nombre_empresa",
]


def refresh_view(wh: Warehouse) -> None:
    """(Re)create ``gold.recent_30d``."""
    wh.execute(model_sql("recent_30d"))


def recent_30d(wh: Warehouse) -> pl.DataFrame:
    """The payload's rows, from the view (:func:`refresh_view` first), sorted by last hour and
    episode; no rows when no checked month is stored."""
    import polars as pl

    window = wh.read(render(WINDOW_SQL)).with_columns(
        (pl.col("window_to") - pl.duration(days=DAYS)).alias("window_from")
    )
    rows = wh.read(f"SELECT {', '.join(COLUMNS)} FROM gold.recent_30d")
    return (
        rows.join(window.select("window_from", "window_to", "as_of"), how="cross")
        .with_columns(pl.col("as_of").dt.convert_time_zone("UTC"))
        .sort("last_hour", "evento_id")
    )

"""The picture of a month, drawn on each month's silver materialization (``fact_eventos``):
customers without power hour by hour, nationally and in the five most affected regions, with
the hours that have no data shaded (failed, schema error, missing) and degraded hours marked.
Embedded in the materialization's metadata and written beside the golden Parquet as
``gold/parquet/fact_eventos/year=YYYY/month=MM/month.png``."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from sec_assets.files import atomic_write
from sec_assets.gold.local_files import golden_dir
from sec_assets.gold.publish import publish
from sec_assets.month import Month
from sec_assets.plotting import (
    DEGRADED_COLOR,
    NO_DATA_COLOR,
    PALETTE,
    empty_state,
    markdown_image,
    new_figure,
    render_width,
)
from sec_assets.settings import SecSettings
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

NO_DATA = ("failed", "schema_error", "wrong_date", "missing")
USABLE = ("ok", "empty", "degraded")
TOP_REGIONS = 5
LEDGER_SQL = """SELECT hour_key, hora_local, status, customers FROM silver.snapshot_ledger
                WHERE month = :month ORDER BY hour_key"""
REGIONS_SQL = """SELECT f.hour_key, g.nombre_region AS region,
                        SUM(f.clientes_afectados) AS clientes
                 FROM silver.fact_interrupciones f
                 JOIN silver.dim_geografia g ON g.geografia_id = f.geografia_id
                 WHERE f.month = :month GROUP BY f.hour_key, g.nombre_region"""


def _spans(hours: Any, step: Any = timedelta(hours=1)) -> list[tuple]:
    """Consecutive hours merged into (start, end) spans."""
    spans: list[list] = []
    for h in sorted(hours):
        if spans and h - spans[-1][1] <= step:
            spans[-1][1] = h + step
        else:
            spans.append([h, h + step])
    return [tuple(s) for s in spans]


def draw_month(month: str, ledger: pl.DataFrame, regions: pl.DataFrame):
    """The month's figure; an honest empty state when nothing of the month is loaded."""
    import matplotlib.dates as mdates
    import polars as pl

    title = f"{month}: customers without power, hour by hour"
    if ledger.is_empty():
        return empty_state(title, f"No data for {month}: no hour of this month is loaded.")
    usable = ledger.filter(pl.col("status").is_in(USABLE))
    fig = new_figure()
    ax = fig.add_subplot()
    step = ledger["hora_local"].diff().drop_nulls().min() or timedelta(hours=1)
    for start, end in _spans(ledger.filter(pl.col("status").is_in(NO_DATA))["hora_local"], step):
        ax.axvspan(start, end, color=NO_DATA_COLOR, alpha=0.35, lw=0)
    for start, end in _spans(ledger.filter(pl.col("status") == "degraded")["hora_local"], step):
        ax.axvspan(start, end, color=DEGRADED_COLOR, alpha=0.35, lw=0)
    national = ledger.with_columns(
        pl.when(pl.col("status").is_in(USABLE)).then(pl.col("customers")).alias("y")
    )
    ax.plot(national["hora_local"], national["y"], color="black", lw=1.6, label="national")
    top = (
        regions.group_by("region").agg(pl.col("clientes").sum()).sort("clientes", descending=True)
    )["region"].head(TOP_REGIONS)
    hours = ledger.select("hour_key", "hora_local", "status")
    for color, region in zip(PALETTE, top, strict=False):
        series = hours.join(
            regions.filter(pl.col("region") == region), on="hour_key", how="left"
        ).with_columns(
            pl.when(pl.col("status").is_in(USABLE)).then(pl.col("clientes").fill_null(0))
        )
        ax.plot(series["hora_local"], series["clientes"], color=color, lw=1.0, label=region)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_ylabel("customers without power")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.fill_between([], [], color=NO_DATA_COLOR, alpha=0.35, label="no data")
    if ledger["status"].eq("degraded").any():
        ax.fill_between([], [], color=DEGRADED_COLOR, alpha=0.35, label="degraded answer")
    ax.legend(loc="upper left", fontsize=8, ncols=2, frameon=False)
    if usable.is_empty():
        ax.text(
            0.5,
            0.5,
            "no hour of this month has usable data",
            transform=ax.transAxes,
            ha="center",
            color="#555555",
        )
    return fig


def picture_path(data_dir: Path, month: Month) -> Path:
    return golden_dir(data_dir, month) / "month.png"


def month_picture(wh: Warehouse, data_dir: Path, month: Month) -> tuple[bytes, Path]:
    ledger = wh.read(LEDGER_SQL, {"month": month.label})
    regions = wh.read(REGIONS_SQL, {"month": month.label})
    png = render_width(draw_month(month.label, ledger, regions))
    return png, atomic_write(picture_path(data_dir, month), png)


def month_picture_metadata(wh: Warehouse, settings: SecSettings, month: Month) -> dict[str, Any]:
    """Metadata entries for the month's materialization. A picture never fails the month: an
    error becomes an entry that says so. Published where ``SEC_GOLD_URL`` says."""
    try:
        png, path = month_picture(wh, settings.data_dir, month)
        where = publish(settings, path)
    except Exception as exc:  # drawing is best effort; the data load already succeeded
        logging.getLogger(__name__).warning("month picture of %s failed: %r", month, exc)
        return {"month_picture_error": dg.MetadataValue.text(repr(exc)[:300])}
    return {
        "month_picture": dg.MetadataValue.md(markdown_image(png, f"{month} hour by hour")),
        "month_picture_path": dg.MetadataValue.path(where),
    }

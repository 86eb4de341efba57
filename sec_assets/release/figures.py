"""A release's figures, drawn from the bundle's own files (so that a figure in a paper and
the data beside it cannot disagree): data coverage per month (``data_coverage.parquet``),
reliability with and without major event days (``reliability_indices.parquet``, weighted by
customers into a national series) and the region × month heatmap of customer-hours (the
episode grain's Parquet). PNG with no time or software version inside: the same files give
the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sec_assets.files import atomic_write
from sec_assets.gold.figures import national
from sec_assets.plotting import render

if TYPE_CHECKING:
    import polars as pl

FOLDER = "figures"
DPI = 110


def _coverage(root: Path) -> pl.DataFrame:
    import polars as pl

    frame = pl.read_parquet(root / "data_coverage.parquet")
    return frame.filter(pl.col("scope") == "month").rename({"key": "month"})


def _reliability(root: Path) -> pl.DataFrame:
    import polars as pl

    return national(pl.read_parquet(root / "reliability_indices.parquet"))


def _heatmap(root: Path) -> pl.DataFrame:
    import polars as pl

    files = sorted((root / "fact_eventos").glob("year=*/month=*/data.parquet"))
    empty = pl.DataFrame(
        schema={"region": pl.String, "month": pl.String, "customer_hours": pl.Float64}
    )
    if not files:
        return empty
    episodes = pl.scan_parquet(files, hive_partitioning=False)  # the file's own YYYY-MM month
    return (
        episodes.group_by(pl.col("nombre_region").alias("region"), "month")
        .agg(pl.col("customer_hours").sum().cast(pl.Float64))
        .sort("region", "month")
        .collect()
    )


# name → (its frame from the bundle, drawing function of gold/figure_plots)
FIGURES: dict[str, tuple[Callable[[Path], pl.DataFrame], str]] = {
    "data_coverage_per_month": (_coverage, "coverage"),
    "reliability_with_and_without_med": (_reliability, "reliability"),
    "region_month_heatmap": (_heatmap, "region_month_heatmap"),
}


def draw(root: Path) -> list[str]:
    """Every figure as ``figures/<name>.png`` under ``root``; their relative paths."""
    from sec_assets.gold import figure_plots  # matplotlib: loaded when drawing only

    out = []
    for name, (frame, plot) in FIGURES.items():
        fig: Any = getattr(figure_plots, plot)(frame(root))
        rel = f"{FOLDER}/{name}.png"
        atomic_write(root / rel, render(fig, "png", dpi=DPI))
        out.append(rel)
    return out

"""``figures``: the history's figures, redrawn from the warehouse after each gold refresh.

Yearly customer-hours by region, a region × month heatmap, the reliability indices with and
without major event days, and data coverage per month; PNG and SVG under
``$SEC_DATA_DIR/gold/figures/``, listed with previews in the materialization's metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from sec_assets.files import atomic_write
from sec_assets.gold import publish, refs, reliability
from sec_assets.gold.assets import GOLD_CONDITION
from sec_assets.gold.lineage import deps, sql_metadata
from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.reliability import reliability_indices
from sec_assets.plotting import markdown_image, render, render_width
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource

if TYPE_CHECKING:
    import polars as pl

BY_REGION_SQL = """SELECT SUBSTR(e.month, 1, 4) AS year, SUBSTR(e.month, 1, 7) AS month,
                          g.nombre_region AS region, SUM(e.customer_hours) AS customer_hours
                   FROM {{ ref('fact_eventos', months='all') }} e
                   JOIN {{ ref('dim_geografia') }} g ON g.geografia_id = e.geografia_id
                   GROUP BY 1, 2, 3"""
# What the figures read: national_reliability reads reliability_indices' rows.
INPUTS = (
    Inputs(
        models=("data_coverage",),
        queries={"by_region": BY_REGION_SQL},
        payloads=("reliability_indices",),
    )
    | reliability.INPUTS
)


def _by_region(wh: Warehouse) -> pl.DataFrame:
    import polars as pl

    return wh.read(refs.render(BY_REGION_SQL)).with_columns(
        pl.col("customer_hours").cast(pl.Float64)
    )


def yearly(wh: Warehouse) -> pl.DataFrame:
    import polars as pl

    return _by_region(wh).group_by("year", "region").agg(pl.col("customer_hours").sum())


def monthly(wh: Warehouse) -> pl.DataFrame:
    return _by_region(wh).select("region", "month", "customer_hours")


def national_reliability(wh: Warehouse) -> pl.DataFrame:
    """Region × month indices weighted by customers into one national series per month."""
    return national(reliability_indices(wh))


def national(frame: pl.DataFrame) -> pl.DataFrame:
    """``reliability_indices`` rows (region × month) weighted by customers into one national
    series per month (pure: the release draws it from its own file)."""
    import polars as pl

    if frame.is_empty():
        return frame
    cols = [
        "frequency_per_1000",
        "frequency_per_1000_excl_med",
        "duration_hours_per_customer",
        "duration_hours_per_customer_excl_med",
    ]
    weight = pl.col("customers").cast(pl.Float64)
    return (
        frame.group_by("mes")
        .agg(*[((pl.col(c) * weight).sum() / weight.sum()).alias(c) for c in cols])
        .sort("mes")
    )


def coverage(wh: Warehouse) -> pl.DataFrame:
    return run_model(wh, "data_coverage")


# name → (query, drawing function in figure_plots, imported when drawing: matplotlib is not
# loaded with the definitions)
FIGURES: dict[str, tuple[Callable[[Warehouse], pl.DataFrame], str]] = {
    "yearly_customer_hours_by_region": (yearly, "yearly_by_region"),
    "region_month_heatmap": (monthly, "region_month_heatmap"),
    "reliability_with_and_without_med": (national_reliability, "reliability"),
    "data_coverage_per_month": (coverage, "coverage"),
}


def figures_dir(data_dir: Path) -> Path:
    return data_dir / "gold" / "figures"


def draw_all(wh: Warehouse, data_dir: Path) -> dict[str, tuple[Path, Path, bytes]]:
    """Every figure as PNG and SVG files; returns name → (png path, svg path, preview PNG)."""
    from sec_assets.gold import figure_plots

    out = {}
    for name, (query, draw) in FIGURES.items():
        fig: Any = getattr(figure_plots, draw)(query(wh))
        png = atomic_write(figures_dir(data_dir) / f"{name}.png", render(fig, "png", dpi=110))
        svg = atomic_write(figures_dir(data_dir) / f"{name}.svg", render(fig, "svg"))
        out[name] = (png, svg, render_width(fig))
    return out


@dg.asset(
    group_name="gold",
    kinds={"python", "matplotlib"},
    deps=deps(INPUTS),
    metadata=sql_metadata(INPUTS),
    automation_condition=GOLD_CONDITION,
    description="The history's figures (yearly customer-hours by region, region × month "
    "heatmap, reliability with and without major event days, data coverage), PNG and SVG "
    "under gold/figures/.",
)
def figures(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Grain: one PNG and one SVG per figure, redrawn from the warehouse each time."""
    drawn = draw_all(warehouse.get_warehouse(), warehouse.settings.data_dir)
    for png, svg, _ in drawn.values():
        publish.publish(warehouse.settings, png)
        publish.publish(warehouse.settings, svg)
    previews = "\n\n".join(
        f"**{name}** — `{png}`\n\n{markdown_image(preview, name)}"
        for name, (png, _, preview) in drawn.items()
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(drawn)),
            "path": dg.MetadataValue.path(
                publish.where(warehouse.settings, figures_dir(warehouse.settings.data_dir))
            ),
            "files": dg.MetadataValue.json(
                {name: [str(png), str(svg)] for name, (png, svg, _) in drawn.items()}
            ),
            "previews": dg.MetadataValue.md(previews),
            **warehouse.settings_metadata(),
        }
    )

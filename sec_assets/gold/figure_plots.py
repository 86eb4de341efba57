"""The history's figures, drawn from frames (pure: no warehouse, no Dagster). Each returns a
matplotlib ``Figure``; with nothing to draw, an honest empty state."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib import colormaps
from matplotlib.figure import Figure

from sec_assets.gold.month_axis import complete_months
from sec_assets.plotting import NO_DATA_COLOR, PALETTE, empty_state, new_figure

NO_HISTORY = "No month of the history is loaded in the warehouse yet."
STATUS_COLORS = {
    "ok": "#66a182",
    "empty": "#a6d4b4",
    "degraded": "#f0a35e",
    "failed": "#d1495b",
    "schema_error": "#8d5a97",
    "wrong_date": "#5a3d6b",
    "missing": NO_DATA_COLOR,
}


def yearly_by_region(frame: pl.DataFrame) -> Figure:
    """``year, region, customer_hours`` → stacked bars per year."""
    title = "Customer-hours without power per year, by region"
    if frame.is_empty():
        return empty_state(title, NO_HISTORY)
    wide = frame.pivot(on="region", index="year", values="customer_hours").fill_null(0).sort("year")
    regions = sorted(c for c in wide.columns if c != "year")
    order = sorted(regions, key=lambda r: -float(wide[r].sum()))
    fig = new_figure(11, 5)
    ax = fig.add_subplot()
    years = [str(y) for y in wide["year"]]
    bottom = np.zeros(len(years))
    cmap = colormaps["tab20"]
    for i, region in enumerate(order):
        values = wide[region].to_numpy().astype(float)
        color = cmap(i % 20)
        ax.bar(years, values, bottom=bottom, label=region, color=color)
        bottom += values
    ax.set_title(title, loc="left")
    ax.set_ylabel("customer-hours")
    ax.legend(fontsize=7, ncols=2, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return fig


def region_month_heatmap(frame: pl.DataFrame) -> Figure:
    """``region, month, customer_hours`` → a region × month heatmap (log colour scale)."""
    title = "Customer-hours without power, region × month"
    if frame.is_empty():
        return empty_state(title, NO_HISTORY)
    wide = frame.pivot(on="month", index="region", values="customer_hours").fill_null(0)
    months = complete_months(frame.select("month").unique(), "month")["month"].to_list()
    # A month without data stays a blank column (NaN), not a zero and not left out.
    missing = [pl.lit(None, pl.Float64).alias(m) for m in months if m not in wide.columns]
    wide = wide.with_columns(missing).select("region", *months).sort("region")
    matrix = wide.select(months).to_numpy().astype(float)
    fig = new_figure(max(6.0, 0.35 * len(months) + 4), 6)
    ax = fig.add_subplot()
    image = ax.imshow(np.log10(matrix + 1), aspect="auto", cmap="magma_r")
    ax.set_yticks(range(wide.height), wide["region"].to_list(), fontsize=7)
    ax.set_xticks(range(len(months)), months, rotation=90, fontsize=7)
    fig.colorbar(image, ax=ax, label="log10(customer-hours + 1)")
    ax.set_title(title, loc="left")
    return fig


def reliability(frame: pl.DataFrame) -> Figure:
    """``mes, frequency*, duration*`` national (customer-weighted) → two panels, with and
    without major event days."""
    title = "Reliability indices (proxies), national, with and without major event days"
    if frame.is_empty():
        return empty_state(
            title,
            "No month of the history has reliability indices yet: they need loaded months "
            "and their customers per region (region_customers).",
        )
    frame = complete_months(frame, "mes")  # a month without indices breaks the line
    fig = new_figure(10, 6)
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = frame["mes"].to_list()
    for ax, base, label in (
        (top, "frequency_per_1000", "customers affected per 1,000"),
        (bottom, "duration_hours_per_customer", "hours per customer"),
    ):
        ax.plot(x, frame[base], marker="o", color=PALETTE[1], label="all days")
        ax.plot(
            x,
            frame[f"{base}_excl_med"],
            marker="o",
            color=PALETTE[0],
            label="major event days excluded (IEEE 1366 2.5β)",
        )
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    top.legend(fontsize=8, frameon=False)
    top.set_title(title, loc="left")
    return fig


def coverage(frame: pl.DataFrame) -> Figure:
    """``month, hours_expected, ok, empty, degraded, failed, schema_error, wrong_date, missing``
    → stacked shares of each month's hours, every month from the first to the last."""
    title = "Data coverage per month: what became of each hour"
    if frame.is_empty():
        return empty_state(title, NO_HISTORY)
    frame = complete_months(frame, "month")  # a month without a ledger: an empty slot
    fig = new_figure(max(6.0, 0.3 * frame.height + 4), 4.5)
    ax = fig.add_subplot()
    months = frame["month"].to_list()
    total = frame["hours_expected"].to_numpy().astype(float)
    total[total == 0] = 1
    bottom = np.zeros(len(months))
    for status, color in STATUS_COLORS.items():
        share = frame[status].to_numpy().astype(float) / total
        ax.bar(months, share, bottom=bottom, color=color, label=status)
        bottom += share
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the month's hours")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.legend(fontsize=8, ncols=3, frameon=False, loc="lower left")
    ax.set_title(title, loc="left")
    return fig

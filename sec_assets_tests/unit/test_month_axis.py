"""Monthly figures show every month from the first to the last: a month without data is a
gap on the axis, not a jump from 2024-12 to 2026-12."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from sec_assets.gold import figure_plots as plots
from sec_assets.gold.month_axis import complete_months


def _coverage(months: list[str]) -> pl.DataFrame:
    n = len(months)
    statuses = ["empty", "degraded", "failed", "schema_error", "wrong_date", "missing"]
    return pl.DataFrame(
        {"month": months, "hours_expected": [744] * n, "ok": [700] * n}
        | {s: [4] * n for s in statuses}
    )


def test_a_gap_of_23_months_yields_23_missing_points() -> None:
    frame = pl.DataFrame({"month": ["2024-11", "2024-12", "2026-12"], "ok": [1, 2, 3]})
    full = complete_months(frame, "month")
    assert full["month"].to_list()[:3] == ["2024-11", "2024-12", "2025-01"]
    assert full["month"].to_list()[-1] == "2026-12" and full.height == 26
    assert full["ok"].null_count() == 23
    assert full.filter(pl.col("ok").is_not_null())["ok"].to_list() == [1, 2, 3]


def test_date_months_keep_their_type_and_an_empty_frame_stays_empty() -> None:
    frame = pl.DataFrame({"mes": [date(2024, 11, 1), date(2025, 2, 1)], "x": [1.0, 2.0]})
    full = complete_months(frame, "mes")
    assert full.schema == frame.schema
    assert full["mes"].to_list() == [date(2024, m, 1) for m in (11, 12)] + [
        date(2025, m, 1) for m in (1, 2)
    ]
    assert full["x"].is_null().to_list() == [False, True, True, False]
    assert complete_months(frame.clear(), "mes").is_empty()


def test_coverage_figure_shows_every_month_of_the_gap_as_empty() -> None:
    fig = plots.coverage(_coverage(["2024-12", "2026-12"]))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 25 and labels[1] == "2025-01" and labels[-2] == "2026-11"
    heights = np.array([p.get_height() for p in ax.containers[0]])
    assert np.isnan(heights).sum() == 23


def test_heatmap_and_reliability_keep_the_gap() -> None:
    monthly = pl.DataFrame(
        {
            "region": ["Maule", "Maule"],
            "month": ["2024-12", "2025-03"],
            "customer_hours": [1.0, 9.0],
        }
    )
    heat = plots.region_month_heatmap(monthly).axes[0]
    assert [t.get_text() for t in heat.get_xticklabels()] == [
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
    ]
    assert np.isnan(heat.images[0].get_array().filled(np.nan)).sum() == 2
    frame = pl.DataFrame(
        {
            "mes": [date(2024, 7, 1), date(2024, 10, 1)],
            "frequency_per_1000": [10.0, 80.0],
            "frequency_per_1000_excl_med": [10.0, 12.0],
            "duration_hours_per_customer": [0.5, 9.0],
            "duration_hours_per_customer_excl_med": [0.5, 0.8],
        }
    )
    line = plots.reliability(frame).axes[0].lines[0]
    assert np.isnan(np.asarray(line.get_ydata(), dtype=float)).sum() == 2

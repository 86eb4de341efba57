"""Every figure is drawn (a non-empty PNG and SVG), and an empty input draws an honest empty
state instead of failing."""

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from sec_assets.gold import figure_plots as plots
from sec_assets.plotting import PREVIEW_WIDTH_PX, png_width, render, render_width
from sec_assets.silver.figures import draw_month

PNG = b"\x89PNG\r\n\x1a\n"
HOURS = [datetime(2024, 8, 1) + timedelta(hours=i) for i in range(72)]


def _ledger(n: int = 72) -> pl.DataFrame:
    status = ["ok"] * n
    status[5:8] = ["failed"] * 3
    status[20] = "degraded"
    return pl.DataFrame(
        {
            "hour_key": [h.strftime("%Y-%m-%dT%H") for h in HOURS[:n]],
            "hora_local": HOURS[:n],
            "status": status,
            "customers": [100 * i for i in range(n)],
        }
    )


def _regions() -> pl.DataFrame:
    keys = [h.strftime("%Y-%m-%dT%H") for h in HOURS]
    names = ["Biobío", "Ñuble", "Maule", "Los Lagos", "Araucanía", "Valparaíso"]
    return pl.DataFrame(
        {
            "hour_key": keys * len(names),
            "region": [n for n in names for _ in keys],
            "clientes": list(range(72)) * len(names),
        }
    )


def _texts(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in [*ax.texts, ax.title])


def test_month_picture_draws_national_top_regions_and_shaded_gaps():
    fig = draw_month("2024-08", _ledger(), _regions())
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[0] == "national" and len([x for x in labels if x != "national"]) >= 5
    assert "no data" in labels and "degraded answer" in labels
    assert render(fig).startswith(PNG)


def test_month_without_data_draws_an_empty_state():
    fig = draw_month("2024-09", _ledger().clear(), _regions().clear())
    assert "No data for 2024-09" in _texts(fig)
    assert len(render(fig)) > 1000


YEARLY = pl.DataFrame(
    {"year": ["2023", "2024"], "region": ["Ñuble", "Maule"], "customer_hours": [5.0, 7.0]}
)
MONTHLY = pl.DataFrame(
    {"region": ["Ñuble", "Maule"], "month": ["2024-07", "2024-08"], "customer_hours": [1.0, 9.0]}
)
RELIABILITY = pl.DataFrame(
    {
        "mes": [date(2024, 7, 1), date(2024, 8, 1)],
        "frequency_per_1000": [10.0, 80.0],
        "frequency_per_1000_excl_med": [10.0, 12.0],
        "duration_hours_per_customer": [0.5, 9.0],
        "duration_hours_per_customer_excl_med": [0.5, 0.8],
    }
)
COVERAGE = pl.DataFrame(
    {
        "month": ["2024-07", "2024-08"],
        "hours_expected": [744, 744],
        "ok": [740, 700],
        "empty": [1, 0],
        "degraded": [1, 4],
        "failed": [2, 30],
        "schema_error": [0, 1],
        "wrong_date": [0, 1],
        "missing": [0, 8],
    }
)


@pytest.mark.parametrize(
    "draw, frame",
    [
        (plots.yearly_by_region, YEARLY),
        (plots.region_month_heatmap, MONTHLY),
        (plots.reliability, RELIABILITY),
        (plots.coverage, COVERAGE),
    ],
)
def test_gold_figures_draw_data_and_empty_history(draw, frame):
    full = draw(frame)
    assert render(full).startswith(PNG) and b"<svg" in render(full, "svg")
    empty = draw(frame.clear())
    assert "No month of the history" in _texts(empty)
    assert render(empty).startswith(PNG)


@pytest.mark.parametrize("width_in", [6.0, 10.0, 17.5])
def test_previews_are_rendered_wide_enough_to_read(width_in):
    fig = plots.coverage(COVERAGE)
    fig.set_figwidth(width_in)
    png = render_width(fig)
    assert png.startswith(PNG) and png_width(png) == PREVIEW_WIDTH_PX >= 900

"""Headless figures with matplotlib: no pyplot and no global state (``Figure`` objects drawn
by the Agg canvas), PNG/SVG bytes, an honest empty state, and markdown with the image inline
(a base64 data URI), which the Dagster UI renders in materialization metadata."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the definitions
    from matplotlib.figure import Figure

NO_DATA_COLOR = "#9e9e9e"
DEGRADED_COLOR = "#f0a35e"
#: Width in pixels of a figure shown in the UI's metadata: its labels readable at 100 %.
PREVIEW_WIDTH_PX = 1000
PALETTE = ("#1f4e79", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d5a97", "#30638e")


def new_figure(width: float = 10.0, height: float = 4.5) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def empty_state(title: str, message: str, *, width: float = 10.0, height: float = 4.5) -> Figure:
    """A figure that says there is nothing to draw, and why, rather than a blank or an error."""
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=12)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555555", wrap=True)
    return fig


def render(fig: Figure, fmt: str = "png", dpi: float = 90) -> bytes:
    buf = io.BytesIO()
    meta = {"Software": None} if fmt == "png" else {"Date": None}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


def render_width(fig: Figure, width_px: int = PREVIEW_WIDTH_PX) -> bytes:
    """A PNG ``width_px`` pixels wide, whatever the figure's size in inches."""
    return render(fig, "png", dpi=width_px / fig.get_figwidth())


def png_width(png: bytes) -> int:
    """The width a PNG's header declares (IHDR, bytes 16-20)."""
    return int.from_bytes(png[16:20], "big")


def markdown_image(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

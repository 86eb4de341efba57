"""The investment payloads: SEIA energy projects (silver.seia_projects) against the outages,
for "does investment make the grid more reliable". Rows left out are listed with the reason
in ``data_coverage``. Rows are sorted here, in Polars, not by the engines: their text
collations differ. Region names are spelled as the dashboard filters on them
(:mod:`sec_assets.gold.labels`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sec_assets.gold.labels import dashboard_regions
from sec_assets.gold.models import Inputs, run_model
from sec_assets.month import Month
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

WINDOW_MONTHS = 12
MIN_MONTHS = 1  # covered months needed on each side of operation_proxy for a delta
INVESTMENT = "total_inversión_mmu"  # the payload's alias of InvestmentRoiRow.total_inversion_mmu
# What each payload reads (the *_omitted functions read as their payload does).
EDA_PROJECTS_INPUTS = Inputs(models=("eda_projects_dist",))
ROI_INPUTS = Inputs(models=("investment_roi",))
VALIDATION_INPUTS = Inputs(models=("investment_validation",))


def eda_projects_dist(wh: Warehouse) -> pl.DataFrame:
    """One row per region: ``nombre_region``, ``count`` of energy projects, most first
    (``dbt_like_sql/models/eda_projects_dist.sql``)."""
    import polars as pl

    frame = run_model(wh, "eda_projects_dist").select(
        pl.col("nombre_region").cast(pl.String), pl.col("count").cast(pl.Int64)
    )
    frame = dashboard_regions(frame)
    return frame.sort(["count", "nombre_region"], descending=[True, False])


def investment_roi(wh: Warehouse) -> pl.DataFrame:
    """One row per official region with a ratio; ``total_inversión_mmu`` carries the alias.

    Per region: customers affected a year (annualized over the days of the checked months),
    approved MMUSD, ``efficiency_ratio`` = customers affected a year per MMUSD approved (the
    dashboard's "Clientes / M$ USD", the same whatever span is loaded) and a note on the
    projects' maturity and the days covered (``investment_roi.sql`` states the formulas). A
    region without approved investment (or with no checked month of history) has no ratio: its
    row is left out."""
    import polars as pl

    return _roi(wh).filter(pl.col("efficiency_ratio").is_not_null())


def investment_roi_omitted(wh: Warehouse) -> list[tuple[str, str]]:
    """``(region, reason)`` for every region left out of ``investment_roi``."""
    import polars as pl

    out = _roi(wh).filter(pl.col("efficiency_ratio").is_null())
    pairs = zip(out["nombre_region"], out[INVESTMENT], strict=True)
    return [(region, _roi_reason(inv)) for region, inv in pairs]


def _roi_reason(investment: float) -> str:
    if investment <= 0:
        return "no approved energy investment (SEIA) in the region: customers per MMUSD undefined"
    return "no checked month of outage history: customers affected unknown"


def _roi(wh: Warehouse) -> pl.DataFrame:
    import polars as pl

    frame = run_model(wh, "investment_roi").select(
        pl.col("nombre_region").cast(pl.String),
        pl.col("clientes_afectados").cast(pl.Int64),
        pl.col(INVESTMENT).cast(pl.Float64),
        pl.col("efficiency_ratio").cast(pl.Float64).round(4),
        pl.col("maturity_note").cast(pl.String),
    )
    frame = dashboard_regions(frame)
    return frame.sort([INVESTMENT, "nombre_region"], descending=[True, False])


def investment_validation(wh: Warehouse) -> pl.DataFrame:
    """One row per approved energy project with a delta: project, year (of operation_proxy),
    type (tipología, else DIA/EIA), delta (%), context (with the months covered).

    ``delta`` = the percentage change of the region's mean monthly outage hours per customer
    (customer-hours of the region's episodes / the region's customers) over the covered months
    of the 12 calendar months after the month of ``operation_proxy`` against the covered months
    of the 12 before. A project with no covered month on one side, or no outage hours before,
    gets no delta and is left out. The SEIA list has no start-of-operation date:
    ``operation_proxy`` is the approval date (:mod:`sec_assets.silver.seia`), so "after" starts
    when the project may operate, not when it did."""
    import polars as pl

    rows, _ = _validation(wh)
    schema = {
        "project": pl.String,
        "year": pl.Int64,
        "type": pl.String,
        "delta": pl.Float64,
        "context": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def investment_validation_omitted(wh: Warehouse) -> list[tuple[str, str]]:
    """``(project (year), reason)`` for every project left out of ``investment_validation``."""
    return _validation(wh)[1]


def _validation(wh: Warehouse) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    windows = run_model(wh, "investment_validation").sort(
        "operation_proxy", "project", "nombre_region_raw", nulls_last=True
    )
    rows: list[tuple[Any, ...]] = []
    omitted: list[tuple[str, str]] = []
    for w in windows.iter_rows(named=True):
        delta, context = delta_and_context(w)
        if delta is None:
            omitted.append((f"{w['project']} ({int(w['year'])})", context))
        else:
            rows.append((w["project"], int(w["year"]), w["type"] or "", delta, context))
    return rows, omitted


def delta_and_context(w: dict[str, Any]) -> tuple[float | None, str]:
    """``delta`` (% change, rounded to 0.01) and the sentence explaining it, from one row of
    the ``investment_validation`` model; ``None`` and the reason when it cannot be computed."""
    month = Month.containing(w["operation_proxy"]).label
    if w["interregional"]:
        return None, "Interregional project: no single region to compare; delta not computed"
    if w["nombre_region"] is None:
        raw = w["nombre_region_raw"] or ""
        return None, f"region {raw!r} not resolved to an official region; delta not computed"
    region = w["nombre_region"]
    before, after = w["months_before"], w["months_after"]
    covered = (
        f"{before}/{WINDOW_MONTHS} months before and {after}/{WINDOW_MONTHS} after {month} "
        "covered by checked history"
    )
    if before < MIN_MONTHS or after < MIN_MONTHS:
        return None, f"{region}: {covered}; delta not computed"
    mean_before = (w["hours_before"] or 0.0) / before
    mean_after = (w["hours_after"] or 0.0) / after
    numbers = (
        f"{region}: {mean_before:.3f} → {mean_after:.3f} outage h/customer a month (mean of "
        f"the covered months); {covered}"
    )
    if mean_before <= 0:
        return None, f"{numbers}; no outage hours before, so no % change"
    return round(100 * (mean_after - mean_before) / mean_before, 2), numbers

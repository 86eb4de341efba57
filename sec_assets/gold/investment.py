"""The investment payloads: SEIA energy projects (silver.seia_projects) against the outages.

- ``eda_projects_dist``: energy projects per region (``dbt_like_sql/gold/eda_projects_dist.sql``);
- ``investment_roi``: per region, customers affected, approved MMUSD, outage hours per customer
  per MMUSD and a maturity note (``investment_roi.sql`` states the formulas);
- ``investment_validation``: per approved project with an operation date, ``delta`` = the
  percentage change of its region's outage hours per customer (customer-hours of the region's
  episodes / the region's customers, summed by month) in the 12 calendar months after the
  month of ``operation_proxy`` against the 12 months before. NULL unless both windows are fully
  covered (12/12 months: see ``investment_validation.sql``) and the months before had outage
  hours; ``context`` says which case applies, with the numbers.

The SEIA list has no start-of-operation date: ``operation_proxy`` is the approval date (see
:mod:`sec_assets.gold.seia`), so "after" starts when the project may operate, not when it did.
Rows are sorted here, in Polars, not by the engines: their text collations differ.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sec_assets.gold.models import run_model
from sec_assets.warehouse.base import Warehouse

WINDOW_MONTHS = 12
INVESTMENT = "total_inversión_mmu"  # the payload's alias of InvestmentRoiRow.total_inversion_mmu


def eda_projects_dist(wh: Warehouse) -> pl.DataFrame:
    """One row per region: ``nombre_region``, ``count`` of energy projects, most first."""
    frame = run_model(wh, "eda_projects_dist").select(
        pl.col("nombre_region").cast(pl.String), pl.col("count").cast(pl.Int64)
    )
    return frame.sort(["count", "nombre_region"], descending=[True, False])


def investment_roi(wh: Warehouse) -> pl.DataFrame:
    """One row per official region; ``total_inversión_mmu`` carries the payload's alias."""
    frame = run_model(wh, "investment_roi").select(
        pl.col("nombre_region").cast(pl.String),
        pl.col("clientes_afectados").cast(pl.Int64),
        pl.col(INVESTMENT).cast(pl.Float64),
        pl.col("efficiency_ratio").cast(pl.Float64),
        pl.col("maturity_note").cast(pl.String),
    )
    return frame.sort([INVESTMENT, "nombre_region"], descending=[True, False])


def investment_validation(wh: Warehouse) -> pl.DataFrame:
    """One row per approved energy project with an operation date: project, year (of
    operation_proxy), type (tipología, else DIA/EIA), delta (%), context."""
    windows = run_model(wh, "investment_validation").sort(
        "operation_proxy", "project", "nombre_region_raw", nulls_last=True
    )
    rows = [_validation_row(w) for w in windows.iter_rows(named=True)]
    schema = {
        "project": pl.String,
        "year": pl.Int64,
        "type": pl.String,
        "delta": pl.Float64,
        "context": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _validation_row(w: dict[str, Any]) -> tuple[str, int, str, float | None, str]:
    delta, context = delta_and_context(w)
    return (w["project"], int(w["year"]), w["type"] or "", delta, context)


def delta_and_context(w: dict[str, Any]) -> tuple[float | None, str]:
    """``delta`` (% change, rounded to 0.01) and the sentence explaining it, from one row of
    the ``investment_validation`` model."""
    month = w["operation_proxy"].strftime("%Y-%m")
    if w["interregional"]:
        return None, "Interregional project: no single region to compare; delta not computed"
    if w["nombre_region"] is None:
        raw = w["nombre_region_raw"] or ""
        return None, f"region {raw!r} not resolved to an official region; delta not computed"
    region = w["nombre_region"]
    before, after = w["months_before"], w["months_after"]
    covered = f"before {before}/{WINDOW_MONTHS}, after {after}/{WINDOW_MONTHS} months covered"
    if before < WINDOW_MONTHS or after < WINDOW_MONTHS:
        return None, (
            f"{region}: the 12 months before and after {month} are not fully covered by the "
            f"outage history ({covered}); delta not computed"
        )
    h_before, h_after = w["hours_before"] or 0.0, w["hours_after"] or 0.0
    numbers = (
        f"{region}: {h_before:.2f} → {h_after:.2f} h/customer in the 12 months before/after "
        f"{month}; {covered}"
    )
    if h_before <= 0:
        return None, f"{numbers}; no outage hours before, so no % change"
    return round(100 * (h_after - h_before) / h_before, 2), numbers

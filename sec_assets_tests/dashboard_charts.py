"""What each chart of the dashboard (``simonkey1/dashboard-sec``) receives, ported from its
code (commits in :data:`sec_assets.gold.contract.DASHBOARD_COMMITS`) to Python: the loaders
read every row of ``dashboard_stats``; ``transformDashboardStats`` keeps five ids (warning on
any other) and turns a missing or non-numeric number into 0; the pages filter and the
components sort, aggregate and scale. Only the picking of data is ported, not the drawing.

One deliberate difference: the dashboard takes a row's year from ``new Date(mes)`` in the
browser's time zone, which puts a 'YYYY-01-01' row in the previous year west of UTC (Chile);
the port takes the calendar year of ``mes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

KNOWN = ("market_map", "time_series", "investment_roi", "company_ranking", "investment_validation")
NUMBERS = {
    "market_map": ("frecuencia", "total_afectados", "instability_index"),
    "time_series": ("afectados",),
    "investment_roi": ("efficiency_ratio", "clientes_afectados", "total_inversión_mmu"),
    "company_ranking": ("total_eventos", "promedio_afectados", "total_clientes_afectados"),
    "investment_validation": ("year", "delta"),
}


@dataclass
class Transformed:
    data: dict[str, list[dict[str, Any]]]
    warnings: list[str] = field(default_factory=list)  # console.warn of the transformer
    zeroed: list[str] = field(default_factory=list)  # `Number(x) || 0` hiding a missing value


def js_number(value: Any) -> float | None:
    """``Number(value)``; None where JS gives NaN (then ``|| 0`` shows 0)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if value is None:
        return 0.0  # Number(null) is 0
    try:
        return float(str(value))
    except ValueError:
        return None


def transform(rows: list[dict[str, Any]]) -> Transformed:
    """``transformDashboardStats(stats)``: the rows of ``select('*')`` → the typed data."""
    out = Transformed({k: [] for k in KNOWN})
    for row in rows:
        pid = row["id"]
        if pid not in KNOWN:
            out.warnings.append(f"Unknown dashboard stat ID: {pid}")
            continue
        items = []
        for item in row["data"] or []:
            typed = dict(item)
            for name in NUMBERS[pid]:
                raw = item.get(name, item.get("total_inversion_mmu"))
                number = js_number(raw)
                if raw is None or number is None:
                    out.zeroed.append(f"{pid}.{name}={raw!r}")
                typed[name] = number or 0.0
            items.append(typed)
        out.data[pid] = items
    return out


def stats_map(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The research and report loaders: ``acc[curr.id] = curr.data``, untransformed."""
    return {row["id"]: row["data"] for row in rows}


def _year(mes: str) -> int | None:
    try:
        return date.fromisoformat(mes[:10]).year
    except ValueError:
        return None


def by_year(rows: list[dict[str, Any]]) -> dict[int, float]:
    """PulseMonitor / AricaSurgery: Σ afectados by the year of ``mes``, 2017–2025 only."""
    acc: dict[int, float] = {}
    for r in rows:
        year = _year(r["mes"])
        if year is not None and 2017 <= year <= 2025:
            acc[year] = acc.get(year, 0) + (r["afectados"] or 0)
    return dict(sorted(acc.items()))


def region_of(row: dict[str, Any]) -> str:
    return row.get("nombre_region") or row.get("region") or ""


def coquimbo_paradox(time_series: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """The page's filter ``(nombre_region || region)?.includes("COQUIMBO")``, then one point
    per row (date, value)."""
    return [(r["mes"], r["afectados"]) for r in time_series if "COQUIMBO" in region_of(r)]


def arica_rows(time_series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in time_series if "ARICA" in region_of(r)]


def arica_surgery(time_series: list[dict[str, Any]]) -> dict[int, float]:
    """The page's filter ``nombre_region?.includes("ARICA")``, then bars by year."""
    return by_year(arica_rows(time_series))


def bar_widths(values: list[float], scale: float) -> list[float]:
    return [v / scale * 100 for v in values] if scale else [math.nan for _ in values]


def inefficiency_wall(roi: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """Top 8 by ``efficiency_ratio``; each bar is ratio / max ratio (its width, %)."""
    top = sorted(roi, key=lambda d: -d["efficiency_ratio"])[:8]
    top_ratio = max((d["efficiency_ratio"] or 0 for d in top), default=0)
    widths = bar_widths([d["efficiency_ratio"] for d in top], top_ratio)
    return [
        (d["nombre_region"], d["efficiency_ratio"], w) for d, w in zip(top, widths, strict=True)
    ]


def forest_friction(ranking: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    items = sorted(ranking, key=lambda d: -(d["total_clientes_afectados"] or 0))
    first = (items[0]["total_clientes_afectados"] or 1) if items else 1
    return [
        (
            d["nombre_empresa"],
            d["total_clientes_afectados"],
            min(100, d["total_clientes_afectados"] / first * 100),
        )
        for d in items
    ]


def energy_projects_dist(dist: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """/reporte: the raw payload, sorted by count; each bar is count / the first count."""
    items = sorted(dist, key=lambda d: -(d.get("count") or 0))
    top = items[0]["count"] if items else 1
    widths = bar_widths([d["count"] for d in items], top)
    return [(d["nombre_region"], d["count"], w) for d, w in zip(items, widths, strict=True)]


def investment_evidence(validation: list[dict[str, Any]]) -> list[tuple[str, float, str]]:
    return [(d["project"], d["delta"], d["context"]) for d in validation]


def charts(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """What every chart gets from the rows of ``dashboard_stats`` (``/`` and ``/reporte``)."""
    t = transform(rows)
    raw = stats_map(rows)
    ts = t.data["time_series"]
    return {
        "PulseMonitor": list(by_year(ts).items()),
        "CoquimboParadox": coquimbo_paradox(ts),
        "AricaSurgery": list(arica_surgery(ts).items()),
        "InefficiencyWall": inefficiency_wall(t.data["investment_roi"]),
        "ForestFriction": forest_friction(t.data["company_ranking"]),
        "EnergyProjectsDist": energy_projects_dist(raw.get("eda_projects_dist") or []),
        "InvestmentEvidence": investment_evidence(t.data["investment_validation"]),
    }

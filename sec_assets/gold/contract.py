"""The dashboard contract: what the public dashboard ``simonkey1/dashboard-sec`` reads from
``dashboard_stats``, field by field, as its TypeScript types, transformer and chart components
read it. :mod:`sec_assets.gold.payloads` enforces it; ``docs/dashboard_contract.md`` explains it
and names the dashboard's files (and commits) it was read from.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Literal

from sec_assets.gold import columns as k

DASHBOARD_REPO = "simonkey1/dashboard-sec"
DASHBOARD_COMMITS: dict[str, str] = {
    "src/lib/types.ts": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
    "src/lib/transformers.ts": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
    "src/lib/supabase.ts": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
    "src/routes/+page.ts": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
    "src/routes/+page.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/routes/research/+page.server.ts": "7b89a4e1db10c2c77d4ca3290c92ab0353fa35c0",
    "src/routes/research/+page.svelte": "da4cd5c7f03ee63dc4f296d03333013f9b0377ed",
    "src/routes/reporte/+page.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/lib/components/PulseMonitor.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/lib/components/CoquimboParadox.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/lib/components/AricaSurgery.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/lib/components/InefficiencyWall.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/lib/components/ForestFriction.svelte": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "src/lib/components/EnergyProjectsDist.svelte": "468fe06c0f789a887fcd634e269ea04f17bd24e7",
    "src/lib/components/InvestmentEvidence.svelte": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
    "src/lib/components/MarketMap.svelte": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
    "src/lib/stores/language.ts": "00c2f7cc8e2d9e9a4f183f79a82e37bf834a9591",
    "frontend_integration.md": "468fe06c0f789a887fcd634e269ea04f17bd24e7",
    "scripts/verify_schema.ts": "94b0345bd6bedefc5f7ac8f6ada12794b4dbd525",
}
SEED_REPO = "simonkey1/SEC"
SEED_COMMIT = "2a39bc12f81ffe1e1f96b9f43d4345bf99d473f1"  # scripts/etl/sync_dashboard_data.py

TsType = Literal["string", "number", "date"]  # date: an ISO 'YYYY-MM-DD' string (new Date(mes))


@dataclass(frozen=True)
class FieldSpec:
    """A field the dashboard reads; ``meaning`` (when ``unit`` does not say it all),
    ``derivation``, known ``bias`` and the ``guardrail`` counting it feed the codebook
    (:mod:`sec_assets.gold.codebook`)."""

    name: str
    ts_type: TsType
    unit: str
    nullable: bool = False  # every field the dashboard types declare is non-null
    meaning: str = ""
    derivation: str = ""
    bias: str = ""
    guardrail: str = ""


@dataclass(frozen=True)
class PayloadSpec:
    id: str
    fields: tuple[FieldSpec, ...]
    charts: tuple[str, ...]  # "Component (page)": what renders this payload
    filters: str = ""  # the value spellings the dashboard filters on
    rows: str = ""  # what one row is (the codebook's grain)


def _f(
    name: str,
    ts_type: TsType,
    unit: str,
    *,
    meaning: str = "",
    derivation: str = "",
    bias: str = "",
    guardrail: str = "",
) -> FieldSpec:
    return FieldSpec(name, ts_type, unit, False, meaning, derivation, bias, guardrail)


_PEAK_SUM = {
    "derivation": "Σ peak_customers of the episodes (silver.fact_eventos), checked months of "
    "the finest cadence only",
    "bias": f"{k.PEAKS}; {k.CAPS}; {k.FORCE_MAJEURE}",
    "guardrail": k.G_CAP,
}
_COMPANY = {"bias": k.UNKNOWN, "guardrail": k.G_EMPRESA}


REGION_FIELD = _f("nombre_region", "string", "region name, upper-case without accents")

CONTRACT: dict[str, PayloadSpec] = {
    "time_series": PayloadSpec(
        "time_series",
        (
            _f("mes", "date", "first day of the month, YYYY-MM-01"),
            REGION_FIELD,
            _f(
                "afectados",
                "number",
                "customers affected: sum of episode peaks started that month",
                **_PEAK_SUM,
            ),
        ),
        (
            "PulseMonitor (/, /research)",
            "CoquimboParadox (/, /research)",
            "AricaSurgery (/, /research)",
        ),
        'nombre_region.includes("COQUIMBO") / .includes("ARICA"); years 2017-2025 of mes',
        rows="one month and region",
    ),
    "investment_roi": PayloadSpec(
        "investment_roi",
        (
            _f("maturity_note", "string", "text"),
            REGION_FIELD,
            _f(
                "efficiency_ratio",
                "number",
                "customers affected a year per million USD approved (Clientes / M$ USD)",
            ),
            _f(
                "clientes_afectados",
                "number",
                "customers affected a year: sum of episode peaks x 365.25 / checked days",
                **_PEAK_SUM,
            ),
            _f(
                "total_inversión_mmu",
                "number",
                "million USD (MMUSD) of approved SEIA energy projects",
                derivation="Σ investment of the region's approved energy projects (SEIA)",
                bias="approval, not operation or spending; the shipped SEIA list is a "
                "synthetic sample until SEC_SEIA_CSV points at the real export",
            ),
        ),
        ("InefficiencyWall (/)",),
        "sorted by efficiency_ratio, top 8",
        rows="one region with approved energy investment",
    ),
    "company_ranking": PayloadSpec(
        "company_ranking",
        (
            _f("total_eventos", "number", "episodes"),
            _f("nombre_empresa", "string", "company name", **_COMPANY),
            _f("promedio_afectados", "number", "customers per episode (mean peak)", **_PEAK_SUM),
            _f(
                "total_clientes_afectados",
                "number",
                "customers affected: sum of episode peaks",
                **_PEAK_SUM,
            ),
        ),
        ("ForestFriction (/, /research)",),
        "nombre_empresa.toUpperCase() includes SAESA, FRONTEL, CGE, ... (southern companies)",
        rows="one of the 15 companies with the most customers affected",
    ),
    "market_map": PayloadSpec(
        "market_map",
        (
            _f("frecuencia", "number", "episodes"),
            _f("nombre_comuna", "string", "comuna name"),
            REGION_FIELD,
            _f(
                "nombre_empresa",
                "string",
                "company name",
                derivation="current-era episodes (no company reported): the comuna's main "
                "distributor",
                **_COMPANY,
            ),
            _f(
                "total_afectados", "number", "customers affected: sum of episode peaks", **_PEAK_SUM
            ),
            _f(
                "instability_index",
                "number",
                "0-100 percent rank of customer-hours per customer",
                derivation="a comuna's customers are its region's split by census population",
                bias=f"{k.AS_OF}; {k.CADENCE}",
            ),
        ),
        ("MarketMap (not mounted on any page)",),
        rows="one region, comuna and company",
    ),
    "investment_validation": PayloadSpec(
        "investment_validation",
        (
            _f("type", "string", "SEIA typology"),
            _f("year", "number", "year of the project's operation proxy (approval)"),
            _f(
                "delta",
                "number",
                "% change of mean monthly outage hours per customer, after vs before",
                derivation="covered months of the 12 after vs the 12 before the approval month",
                bias=f"approval as the operation proxy; {k.CADENCE}; {k.FORCE_MAJEURE}",
            ),
            _f("context", "string", "text: region, figures and months covered"),
            _f("project", "string", "SEIA project name"),
        ),
        ("InvestmentEvidence (not mounted on any page)",),
        rows="one SEIA energy project in operation",
    ),
    "eda_quality_stats": PayloadSpec(
        "eda_quality_stats",
        (
            _f("category", "string", "readable Spanish label"),
            _f(
                "count",
                "number",
                "rows or hours",
                guardrail="silver.guardrail_counts and the ledger's statuses",
            ),
            _f("percentage", "number", "share 0.0-1.0"),
        ),
        ("frontend_integration.md Figura 1 (no component yet)",),
        rows="one guardrail or ledger status category",
    ),
    "eda_projects_dist": PayloadSpec(
        "eda_projects_dist",
        (REGION_FIELD, _f("count", "number", "SEIA energy projects")),
        ("EnergyProjectsDist (/reporte)",),
        "sorted by count descending",
        rows="one region (or INTERREGIONAL / REGION NO RESUELTA)",
    ),
}

DASHBOARD_IDS = tuple(CONTRACT)
# Published to research_stats.
RESEARCH_IDS = ("reliability_indices", "data_coverage", "recent_30d")
DASHBOARD_TABLE = "dashboard_stats"
RESEARCH_TABLE = "research_stats"

# Labels of rows that have no official region (eda_projects_dist), spelled like regions.
NO_REGION_LABELS = ("INTERREGIONAL", "REGION NO RESUELTA")


def dashboard_name(name: str) -> str:
    """The dashboard's spelling of a name: accents dropped (NFKD), upper-case, spaces folded
    ("Ñuble" → "NUBLE", "Arica y Parinacota" → "ARICA Y PARINACOTA")."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


@cache
def region_names() -> frozenset[str]:
    """Every region as the dashboard spells it (the 16 official regions)."""
    from sec_assets.masterdata import regions

    return frozenset(dashboard_name(n) for n in regions()["nombre_region"].to_list())

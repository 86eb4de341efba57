"""The dashboard's contract: one pydantic row model per ``dashboard_stats`` payload id. Every
payload is validated here before it leaves; a row that does not fit is an error naming the
payload, the row and the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MarketMapRow(_Row):
    nombre_region: str
    nombre_comuna: str
    nombre_empresa: str
    total_afectados: int = Field(ge=0)
    frecuencia: int = Field(ge=0)
    instability_index: float = Field(ge=0, le=100)


class TimeSeriesRow(_Row):
    mes: date
    nombre_region: str
    afectados: int = Field(ge=0)


class CompanyRankingRow(_Row):
    nombre_empresa: str
    total_eventos: int = Field(ge=0)
    total_clientes_afectados: int = Field(ge=0)
    promedio_afectados: float = Field(ge=0)


class InvestmentRoiRow(_Row):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    nombre_region: str
    clientes_afectados: int = Field(ge=0)
    total_inversion_mmu: float = Field(ge=0, alias="total_inversión_mmu")
    efficiency_ratio: float | None
    maturity_note: str


class InvestmentValidationRow(_Row):
    project: str
    year: int
    type: str
    delta: float | None  # % change of customer-hours per customer, 12 months after vs before
    context: str


class QualityStatRow(_Row):
    category: str
    count: int = Field(ge=0)
    percentage: float = Field(ge=0, le=1)


class ProjectsDistRow(_Row):
    nombre_region: str
    count: int = Field(ge=0)


class ReliabilityRow(_Row):
    nombre_region: str
    mes: date
    customers: int = Field(ge=0)
    events: int = Field(ge=0)
    frequency_per_1000: float = Field(ge=0)
    duration_hours_per_customer: float = Field(ge=0)
    frequency_per_1000_excl_med: float = Field(ge=0)
    duration_hours_per_customer_excl_med: float = Field(ge=0)
    major_event_days: int = Field(ge=0)
    label: str


class CoverageRow(_Row):
    month: str
    hours_expected: int = Field(ge=0)
    ok: int = Field(ge=0)
    empty: int = Field(ge=0)
    failed: int = Field(ge=0)
    degraded: int = Field(ge=0)
    schema_error: int = Field(ge=0)
    missing: int = Field(ge=0)
    revisions_seen: int = Field(ge=0)


ROW_MODELS: dict[str, type[_Row]] = {
    "market_map": MarketMapRow,
    "time_series": TimeSeriesRow,
    "company_ranking": CompanyRankingRow,
    "investment_roi": InvestmentRoiRow,
    "investment_validation": InvestmentValidationRow,
    "eda_quality_stats": QualityStatRow,
    "eda_projects_dist": ProjectsDistRow,
    "reliability_indices": ReliabilityRow,
    "data_coverage": CoverageRow,
}


class PayloadError(ValueError):
    """A payload that does not fit the dashboard's contract."""


def validate_payload(payload_id: str, frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The payload's rows as JSON-ready dicts (by alias), validated against its row model."""
    model = ROW_MODELS.get(payload_id)
    if model is None:
        raise PayloadError(f"unknown payload id {payload_id!r}; known: {sorted(ROW_MODELS)}")
    adapter: TypeAdapter[list[_Row]] = TypeAdapter(list[model])  # type: ignore[valid-type]
    try:
        rows = adapter.validate_python(frame.to_dicts())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PayloadError(
            f"payload {payload_id!r}: {exc.error_count()} invalid value(s); first at row "
            f"{first['loc'][0]}, field {first['loc'][1:]}: {first['msg']}"
        ) from None
    return [row.model_dump(mode="json", by_alias=True) for row in rows]

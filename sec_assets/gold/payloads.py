"""One pydantic row model per payload id. The dashboard's payloads enforce its contract
(:mod:`sec_assets.gold.contract`: names, types, non-null numbers, finite values, region names
as the dashboard spells them, readable labels); the research payloads (``reliability_indices``,
``data_coverage``, ``recent_30d``) are ours. Every payload is validated here before it leaves;
a row that does not fit is an error naming the payload, the row and the field."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sec_assets.gold.contract import NO_REGION_LABELS, region_names
from sec_assets.gold.labels import QUALITY_LABELS

if TYPE_CHECKING:
    import polars as pl


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _region(value: str) -> str:
    if value not in region_names():
        raise ValueError(f"{value!r} is not a region as the dashboard spells it (e.g. 'COQUIMBO')")
    return value


def _region_or_none(value: str) -> str:
    return value if value in NO_REGION_LABELS else _region(value)


def _quality_label(value: str) -> str:
    if value not in QUALITY_LABELS.values():
        raise ValueError(f"{value!r} is not a readable category label")
    return value


Region = Annotated[str, AfterValidator(_region)]


class MarketMapRow(_Row):
    nombre_region: Region
    nombre_comuna: str
    nombre_empresa: str
    total_afectados: int = Field(ge=0)
    frecuencia: int = Field(ge=0)
    instability_index: float = Field(ge=0, le=100)


class TimeSeriesRow(_Row):
    mes: date
    nombre_region: Region
    afectados: int = Field(ge=0)


class CompanyRankingRow(_Row):
    nombre_empresa: str
    total_eventos: int = Field(ge=0)
    total_clientes_afectados: int = Field(ge=0)
    promedio_afectados: float = Field(ge=0)


class InvestmentRoiRow(_Row):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )
    nombre_region: Region
    clientes_afectados: int = Field(ge=0)
    total_inversion_mmu: float = Field(gt=0, alias="total_inversión_mmu")
    # Customers affected a year per MMUSD ("Clientes / M$ USD").
    efficiency_ratio: float = Field(ge=0)
    maturity_note: str


class InvestmentValidationRow(_Row):
    project: str
    year: int
    type: str
    delta: float  # % change of mean monthly hours per customer, after vs before (months covered)
    context: str


class QualityStatRow(_Row):
    category: Annotated[str, AfterValidator(_quality_label)]
    count: int = Field(ge=0)
    percentage: float = Field(ge=0, le=1)


class ProjectsDistRow(_Row):
    nombre_region: Annotated[str, AfterValidator(_region_or_none)]
    count: int = Field(ge=0)


class ReliabilityRow(_Row):
    nombre_region: str
    mes: date
    customers: int = Field(ge=0)
    customers_source: str  # 'sec' (GetClientesRegional) or 'seed'
    customers_as_of: str = Field(pattern=r"^\d{4}-\d{2}$")  # the month the counts describe
    events: int = Field(ge=0)
    frequency_per_1000: float = Field(ge=0)
    duration_hours_per_customer: float = Field(ge=0)
    frequency_per_1000_excl_med: float = Field(ge=0)
    duration_hours_per_customer_excl_med: float = Field(ge=0)
    major_event_days: int = Field(ge=0)
    major_event_dates: list[date]
    med_window_from: date  # the earliest day the month's MED thresholds draw on
    med_basis_days: int = Field(ge=0)  # fewest days with SAIDI > 0 behind a threshold
    hours_per_day: int | None = Field(default=None, ge=1, le=24)  # the month's sampling cadence
    cadence_error: float | None = Field(default=None, ge=0)  # measured at it (docs/cadence.md)
    label: str


class RecentEpisodeRow(_Row):
    """An episode of the last 30 days, with its window (``window_from``/``window_to``: local
    hours; ``as_of``: the newest fetch behind it, UTC)."""

    evento_id: str
    first_hour: datetime
    last_hour: datetime
    peak_customers: int = Field(ge=0)
    customer_hours: float = Field(ge=0)
    censored_end: bool
    cut_comuna: int
    nombre_comuna: str
    nombre_region: str
    nombre_empresa: str
    window_from: datetime
    window_to: datetime
    as_of: datetime | None


class CoverageRow(_Row):
    """A month of the history (``scope`` = "month", ``key`` = YYYY-MM, with its hours), or a
    dashboard row left out (``scope`` = its payload id, ``key`` = the row). ``included`` says
    whether gold counts it; ``reason`` says why not."""

    scope: str
    key: str
    included: bool
    reason: str | None
    hours_expected: int | None = Field(ge=0)
    ok: int | None = Field(ge=0)
    empty: int | None = Field(ge=0)
    failed: int | None = Field(ge=0)
    degraded: int | None = Field(ge=0)
    schema_error: int | None = Field(ge=0)
    wrong_date: int | None = Field(ge=0)
    missing: int | None = Field(ge=0)
    revisions_seen: int | None = Field(ge=0)
    customers_as_of: str | None = None  # YYYY-MM of the counts the month was capped by
    customers_source: str | None = None  # 'sec', 'seed' or 'mixed'
    customers_own_month: bool | None = None  # the counts are the SEC's for that very month
    hours_per_day: int | None = Field(default=None, ge=1, le=24)  # samples a day (sparsest)
    cadence: str | None = None  # which sources, at what cadence, how many days
    cadence_error: float | None = Field(default=None, ge=0)  # measured (docs/cadence.md)


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
    "recent_30d": RecentEpisodeRow,
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

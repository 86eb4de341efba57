"""The simulator's configuration (one pydantic model, also built by the CLI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sec_sim.faults import FaultRule, normalize_hour_key
from sec_sim.timeutil import TZ

DEFAULT_PREFIX = "/INTONLINEv1/ClientesAfectados"
# With era="auto": hours before this date are answered in the legacy 13-field era.
DEFAULT_CUTOVER = date(2026, 6, 1)
KNOWN_GAP_HOURS = tuple(f"2025-01-03T{h:02d}" for h in range(3, 8))

EraName = Literal["current", "legacy"]


class SimConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 42
    # "current", "legacy", "auto" (= DEFAULT_CUTOVER) or a cutover date: hours asked for
    # before the date get the legacy era, the others the current one.
    era: Literal["current", "legacy", "auto"] | date = "current"
    prefix: str = DEFAULT_PREFIX
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    # Fixed simulator clock (Chile local, naive). None: the real local time in Chile.
    clock: datetime | None = None
    faults: list[FaultRule] = Field(default_factory=list)
    # Emulate the real gap: these hours answer [] (the outages behind them still exist).
    known_gap: bool = True
    gap_hours: list[str] = Field(default_factory=lambda: list(KNOWN_GAP_HOURS))
    # Share of rows whose count is preliminary (differs slightly) while an hour is recent.
    revision_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    revision_window_h: int = Field(default=48, ge=0)
    # Share of hours that list the stray row with empty region and comuna and 1 customer.
    empty_row_rate: float = Field(default=0.03, ge=0.0, le=1.0)
    # Hours after the simulator clock answer [] (they have not happened yet).
    future_empty: bool = True
    series_days: int = Field(default=7, ge=1, le=31)
    # Hostile answers on fixed hours of every month (sec_sim/hostile.py has the table).
    hostile: bool = False
    hostile_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1)  # the 'oversized' junk
    hostile_drip_s: float = Field(default=6.0, ge=0.0)  # how long the 'drip' answer takes
    # Get's national figure for these hours is multiplied by series_disagree_factor, so it
    # disagrees with the sum of GetPorFecha's rows (the cross-check must flag them).
    series_disagree_hours: list[str] = Field(default_factory=list)
    series_disagree_factor: float = Field(default=1.5, ge=0.0)

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return "/" + value.strip("/") if value.strip("/") else ""

    @field_validator("gap_hours", "series_disagree_hours")
    @classmethod
    def _gap_hours(cls, value: list[str]) -> list[str]:
        return [normalize_hour_key(v) for v in value]

    @field_validator("clock")
    @classmethod
    def _naive_clock(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(TZ).replace(tzinfo=None)
        return value

    def era_for(self, moment: datetime) -> EraName:
        """The payload era of the answer for the hour ``moment``."""
        if self.era in ("current", "legacy"):
            return self.era  # type: ignore[return-value]
        cutover = DEFAULT_CUTOVER if self.era == "auto" else self.era
        assert isinstance(cutover, date)
        return "legacy" if moment.date() < cutover else "current"

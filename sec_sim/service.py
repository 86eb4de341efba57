"""The service's methods as pure functions of the configuration and the simulator clock.

The HTTP layer (:mod:`sec_sim.server`) adds faults around these answers; the CLI
``answer`` command prints them directly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sec_sim.cache import shared_cache
from sec_sim.config import SimConfig
from sec_sim.master import MasterData, load_master
from sec_sim.payload import (
    Row,
    current_rows,
    empty_name_row,
    legacy_rows,
    revise,
)
from sec_sim.rand import unit
from sec_sim.timeutil import chile_now, hour_dt, hour_index, hour_key, is_nonexistent

METHODS = ("GetPorFecha", "GetHoraServer", "GetClientesRegional", "GetClientesNacional", "Get")


class BadRequest(Exception):
    """A call the real service rejects with an ASP.NET JSON error (HTTP 500)."""

    def __init__(self, message: str, exception_type: str) -> None:
        super().__init__(message)
        self.payload = {"Message": message, "StackTrace": "", "ExceptionType": exception_type}


@dataclass(frozen=True)
class Answer:
    payload: Any  # JSON-serialisable
    hour: int | None = None  # the hour asked, for GetPorFecha


def _int_param(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name)
    if value is None:
        if default is not None:
            return default
        raise BadRequest(
            f"Invalid web service call, missing value for parameter: '{name}'.",
            "System.InvalidOperationException",
        )
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest(
            f"Cannot convert {value!r} to System.Int32.", "System.InvalidCastException"
        )
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(
            f"{value} is not a valid value for Int32.", "System.FormatException"
        ) from exc


def hour_of_body(body: dict[str, Any]) -> int:
    """The hour a GetPorFecha body asks for; a missing ``hora`` means midnight, like the SEC."""
    anho, mes, dia = (_int_param(body, k) for k in ("anho", "mes", "dia"))
    hora = _int_param(body, "hora", default=0)
    try:
        return hour_index(datetime(anho, mes, dia, hora))
    except ValueError as exc:
        raise BadRequest(
            "Year, Month, and Day parameters describe an un-representable DateTime.",
            "System.ArgumentOutOfRangeException",
        ) from exc


class SimService:
    def __init__(self, config: SimConfig | None = None, master: MasterData | None = None) -> None:
        self.config = config or SimConfig()
        self.master = master or load_master()
        self.months = shared_cache(self.master, self.config.seed)
        self._clock = self.config.clock
        self._lock = threading.Lock()
        self._series_cache: dict[tuple[int, int], list[dict[str, int]]] = {}

    # The simulator clock ------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            clock = self._clock
        return clock if clock is not None else chile_now()

    def set_clock(self, clock: datetime | None) -> None:
        with self._lock:
            self._clock = SimConfig(clock=clock).clock

    # GetPorFecha ------------------------------------------------------------------------------
    def por_fecha(self, hour: int) -> list[Row]:
        """The rows the service answers for ``hour`` (before faults)."""
        cfg, seed = self.config, self.config.seed
        now = self.now()
        current_hour = hour_index(now)
        if is_nonexistent(hour) or (cfg.future_empty and hour > current_hour):
            return []
        if cfg.known_gap and hour_key(hour) in cfg.gap_hours:
            return []
        table = self.months.for_hour(hour)
        moment = hour_dt(hour)
        era = cfg.era_for(moment)
        revising = 0 <= current_hour - hour < cfg.revision_window_h and cfg.revision_rate > 0
        day, rate = now.date().toordinal(), cfg.revision_rate if revising else 0.0
        if era == "current":
            values = [(c, revise(seed, hour, day, rate, c, n)) for c, n in table.current(hour)]
            rows = current_rows(self.master, values)
        else:
            keys = [
                (c, e, d, s, revise(seed, hour, day, rate, (c, e, d), n))
                for c, e, d, s, n in table.legacy(hour)
            ]
            rows = legacy_rows(self.master, seed, moment, keys)
        if unit(seed, "empty-row", hour) < cfg.empty_row_rate:
            rows.insert(0, empty_name_row(era, moment))
        return rows

    # The other methods ---------------------------------------------------------------------------
    def hora_server(self) -> list[dict[str, str]]:
        return [{"FECHA": self.now().strftime("%d/%m/%Y %H:%M")}]

    def clientes_regional(self, body: dict[str, Any]) -> list[dict[str, int]]:
        name = body.get("region")
        if name is None:
            raise BadRequest(
                "Invalid web service call, missing value for parameter: 'region'.",
                "System.InvalidOperationException",
            )
        region = self.master.find_region(str(name))
        return [] if region is None else [{"CLIENTES": region.clientes, "REGION_ID": region.cut}]

    def clientes_nacional(self) -> list[dict[str, int]]:
        return [{"CLIENTES": self.master.national_clientes}]

    def series(self) -> list[dict[str, int]]:
        """National customers affected per hour for the last ``series_days``, newest last."""
        newest = hour_index(self.now())
        key = (newest, self.now().date().toordinal())
        cached = self._series_cache.get(key)
        if cached is not None:
            return cached
        out = []
        for hour in range(newest - 24 * self.config.series_days + 1, newest + 1):
            if is_nonexistent(hour):
                continue
            moment = hour_dt(hour)
            total = sum(int(r["CLIENTES_AFECTADOS"]) for r in self.por_fecha(hour))
            if hour_key(hour) in self.config.series_disagree_hours:
                total = round(total * self.config.series_disagree_factor)
            out.append(
                {
                    "anho": moment.year,
                    "mes": moment.month,
                    "dia": moment.day,
                    "hora": moment.hour,
                    "clientes_afectados": total,
                }
            )
        self._series_cache = {key: out}
        return out

    def answer(self, method: str, body: dict[str, Any]) -> Answer:
        """Dispatch a known method; raises :class:`BadRequest` or ``KeyError`` (unknown)."""
        if method == "GetPorFecha":
            hour = hour_of_body(body)
            return Answer(self.por_fecha(hour), hour)
        if method == "GetHoraServer":
            return Answer(self.hora_server())
        if method == "GetClientesRegional":
            return Answer(self.clientes_regional(body))
        if method == "GetClientesNacional":
            return Answer(self.clientes_nacional())
        if method == "Get":
            return Answer(self.series())
        raise KeyError(method)

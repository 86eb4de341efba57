"""Fault rules (pydantic) and the engine that decides, per request, which rule applies."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sec_sim.rand import unit
from sec_sim.timeutil import HOUR_KEY_FORMAT


class FaultKind(StrEnum):
    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    HTTP_429 = "http_429"  # with Retry-After
    HTTP_403 = "http_403"  # a block page
    SLOW = "slow"  # answer after delay_s
    HANG = "hang"  # never answer (until the server shuts down)
    RESET = "reset"  # close the connection without answering
    HTML = "html"  # 200 with an IIS-like HTML error page
    TRUNCATED = "truncated"  # JSON cut in the middle
    EMPTY = "empty"  # 200 []
    DEGRADED = "degraded"  # only 2-5 rows of the true answer
    DRIFT_MISSING_FIELD = "drift_missing_field"  # CLIENTES_AFECTADOS removed
    DRIFT_RENAMED_FIELD = "drift_renamed_field"  # NOMBRE_COMUNA -> COMUNA
    NULL_CUSTOMERS = "null_customers"  # some CLIENTES_AFECTADOS null or "N/A"
    BAD_DATES = "bad_dates"  # legacy: unparsable FECHA_INT_STR
    UNKNOWN_NAMES = "unknown_names"  # comuna names that resolve to nothing
    SET_CUSTOMERS = "set_customers"  # CLIENTES_AFECTADOS of named comunas set to `customers`


# Kinds that change the JSON rows of a successful answer (the rest act on the transport).
PAYLOAD_KINDS = frozenset(
    {
        FaultKind.EMPTY,
        FaultKind.DEGRADED,
        FaultKind.DRIFT_MISSING_FIELD,
        FaultKind.DRIFT_RENAMED_FIELD,
        FaultKind.NULL_CUSTOMERS,
        FaultKind.BAD_DATES,
        FaultKind.UNKNOWN_NAMES,
        FaultKind.SET_CUSTOMERS,
    }
)
ANY_METHOD = "*"


def normalize_hour_key(text: str) -> str:
    """Accept ``2024-08-02T12``, ``2024-08-02T12:00``, ``2024-08-02 12:00:00``."""
    cleaned = text.strip().replace(" ", "T")
    return datetime.strptime(cleaned[:13], HOUR_KEY_FORMAT).strftime(HOUR_KEY_FORMAT)


class FaultRule(BaseModel):
    """Inject ``kind`` into requests of ``method`` (``"*"``: any) for the given hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    method: str = "GetPorFecha"
    hours: list[str] | None = None  # local hour keys "YYYY-MM-DDTHH"; None: every hour
    times: int | None = Field(default=None, ge=0)  # only the first N matching requests
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    delay_s: float = Field(default=0.0, ge=0.0)
    retry_after_s: int | None = Field(default=None, ge=0)
    # set_customers: "Region|Comuna" as the service spells them → the value to answer (any
    # int, negative or absurd); the comuna's row is added when the hour does not list it.
    customers: dict[str, int] | None = None

    @field_validator("hours")
    @classmethod
    def _hour_keys(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [normalize_hour_key(v) for v in value]

    def matches(self, method: str, hour_key: str | None) -> bool:
        if self.method not in (ANY_METHOD, method):
            return False
        return self.hours is None or (hour_key is not None and hour_key in self.hours)


def coerce_rules(rules: Iterable[FaultRule | Mapping[str, Any]] | None) -> list[FaultRule]:
    return [r if isinstance(r, FaultRule) else FaultRule.model_validate(r) for r in rules or ()]


class FaultEngine:
    """Thread-safe choice of the fault for each request; the first rule that applies wins.

    ``times`` counts the requests a rule was applied to. ``probability`` is decided by a hash
    of (seed, rule position, request key, attempt), where the attempt is how many times the
    same request (method and hour) was seen before, so a retry gets a fresh draw.
    """

    def __init__(self, seed: int, rules: Iterable[FaultRule | Mapping[str, Any]] = ()) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = coerce_rules(rules)
        self._used: list[int] = [0] * len(self._rules)
        self._attempts: dict[str, int] = {}

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def set_rules(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        parsed = coerce_rules(rules)
        with self._lock:
            self._rules = parsed
            self._used = [0] * len(parsed)

    def pick(self, method: str, hour_key: str | None) -> FaultRule | None:
        request_key = f"{method}|{hour_key or ''}"
        with self._lock:
            attempt = self._attempts.get(request_key, 0)
            self._attempts[request_key] = attempt + 1
            for i, rule in enumerate(self._rules):
                if not rule.matches(method, hour_key):
                    continue
                if rule.times is not None and self._used[i] >= rule.times:
                    continue
                if rule.probability is not None and (
                    unit(self._seed, "fault", i, request_key, attempt) >= rule.probability
                ):
                    continue
                self._used[i] += 1
                return rule
        return None

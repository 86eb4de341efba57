"""Validation of ``Get``: the service's national hourly series. Pure, no I/O.

Observed shape: ``[{"anho", "mes", "dia", "hora", "clientes_afectados"}, ...]``, newest last,
about the last 7 days. One older caller read a per-comuna shape from it, so nothing is assumed:
keys are matched case-insensitively, and an answer that does not give a date, an hour and a
customer count for every element is a typed :class:`SecSchemaError` (stored, never trusted).
Numbers follow the rule of ``numbers.py``, sent as numbers or as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sec_assets.sec_client.errors import SecSchemaError
from sec_assets.sec_client.numbers import as_number, integer
from sec_assets.sec_client.validation import parse_json

ENDPOINT = "Get"
_FIELDS = {
    "year": ("anho", "ano", "año", "year"),
    "month": ("mes", "month"),
    "day": ("dia", "día", "day"),
    "hour": ("hora", "hour"),
    "customers": ("clientes_afectados", "clientes", "customers"),
}


@dataclass(frozen=True)
class NationalPoint:
    hour_key: str  # YYYY-MM-DDTHH, Chile local
    clientes: int


def _field(row: dict[str, Any], name: str) -> Any:
    lowered = {str(k).lower(): v for k, v in row.items()}
    for alias in _FIELDS[name]:
        if alias in lowered:
            return lowered[alias]
    return None


def _point(row: Any) -> NationalPoint | None:
    if not isinstance(row, dict):
        return None
    values = {name: _whole(_field(row, name)) for name in _FIELDS if name != "customers"}
    customers = integer("CLIENTES", _field(row, "customers"))  # the customers' rule and bound
    if customers is None or any(v is None for v in values.values()):
        return None
    try:
        day = date(values["year"], values["month"], values["day"])  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return None
    if not 0 <= values["hour"] <= 23:  # type: ignore[operator]
        return None
    return NationalPoint(f"{day.isoformat()}T{values['hour']:02d}", customers)


def _whole(value: Any) -> int | None:
    """A date part, sent as a number or a string: an integer, or None."""
    number = as_number(value)
    if isinstance(number, float):
        return int(number) if number.is_integer() else None  # NaN and inf are not
    return number


def validate_national_series(body: bytes) -> list[NationalPoint]:
    """``Get``'s body → one point per hour (the last one seen wins for a repeated hour)."""
    data = parse_json(body, endpoint=ENDPOINT, hour=None)
    if not isinstance(data, list):
        raise SecSchemaError(
            f"expected a JSON list, got {type(data).__name__}", endpoint=ENDPOINT, body=body
        )
    points = [_point(row) for row in data]
    bad = sum(p is None for p in points)
    if bad:
        keys = sorted({str(k) for row in data if isinstance(row, dict) for k in row})[:12]
        raise SecSchemaError(
            f"unknown series shape: {bad}/{len(data)} elements lack a date, hour and integer "
            f"customers (keys seen: {keys})",
            endpoint=ENDPOINT,
            body=body,
        )
    by_hour = {p.hour_key: p for p in points if p is not None}
    return sorted(by_hour.values(), key=lambda p: p.hour_key)

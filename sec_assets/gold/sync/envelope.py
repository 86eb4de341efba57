"""The row every sink writes: ``{"id", "data", "updated_at"}``, ``data`` as plain JSON."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import orjson

PAYLOAD_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def check_payload_id(payload_id: object) -> str:
    """A payload id is also a file name and a primary key: short, no separators, no dot first."""
    if not isinstance(payload_id, str) or not PAYLOAD_ID.fullmatch(payload_id):
        raise ValueError(f"invalid payload id {payload_id!r} (expected {PAYLOAD_ID.pattern})")
    return payload_id


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def to_json(value: Any) -> bytes:
    """orjson, plus Decimal and paths; NaN and infinities become ``null``."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def plain_json(value: Any) -> Any:
    """``value`` as what JSON would read back: dates as ISO strings, tuples as lists."""
    return orjson.loads(to_json(value))


def envelope(payload_id: str, data: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """The table row for one payload; ``updated_at`` is an ISO 8601 instant in UTC."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "id": check_payload_id(payload_id),
        "data": plain_json(data),
        "updated_at": stamp.isoformat(),
    }

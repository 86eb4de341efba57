"""Validation of SEC answers and recognition of the payload era. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from sec_assets.sec_client.errors import SecInvalidBodyError, SecSchemaError

Era = Literal["current", "legacy", "empty"]

CURRENT_FIELDS = ("NOMBRE_REGION", "NOMBRE_COMUNA", "CLIENTES_AFECTADOS")
LEGACY_FIELDS = (
    "DIA_INT",
    "MES_INT",
    "ANHO_INT",
    "HORA",
    "DIA",
    "MES",
    "ANHO",
    "NOMBRE_REGION",
    "NOMBRE_COMUNA",
    "NOMBRE_EMPRESA",
    "CLIENTES_AFECTADOS",
    "ACTUALIZADO_HACE",
    "FECHA_INT_STR",
)
_ERA_BY_FIELDS: dict[frozenset[str], Era] = {
    frozenset(CURRENT_FIELDS): "current",
    frozenset(LEGACY_FIELDS): "legacy",
}


@dataclass(frozen=True)
class SnapshotAnswer:
    """A validated ``GetPorFecha`` answer: its era, fingerprint, rows and customers."""

    era: Era
    fingerprint: str
    rows: list[dict[str, Any]]
    customers: int  # sum of the numeric CLIENTES_AFECTADOS; non-numeric values are silver's job


def fingerprint(fields: frozenset[str] | set[str]) -> str:
    """A short stable id of a field set: same shape, same fingerprint."""
    return hashlib.sha1(",".join(sorted(fields)).encode()).hexdigest()[:12]


def parse_json(body: bytes, *, endpoint: str, hour: str | None) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        head = body.lstrip()[:1]
        what = "an HTML page" if head == b"<" else "truncated or malformed JSON"
        raise SecInvalidBodyError(
            f"expected JSON, got {what} ({exc.__class__.__name__})",
            endpoint=endpoint,
            hour=hour,
            body=body,
        ) from exc


def _numeric(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def validate_snapshot(body: bytes, *, hour: str | None, endpoint: str = "GetPorFecha"):
    """Validate a ``GetPorFecha`` body; raise a typed error rather than ever return a fake empty.

    Every row must carry exactly one known era's field set. Values are not judged here (a null
    customer count is kept and counted by silver), only the shape.
    """
    data = parse_json(body, endpoint=endpoint, hour=hour)
    if not isinstance(data, list):
        raise SecSchemaError(
            f"expected a JSON list, got {type(data).__name__}",
            endpoint=endpoint,
            hour=hour,
            body=body,
        )
    if not data:
        return SnapshotAnswer("empty", fingerprint(set()), [], 0)
    field_sets = {frozenset(row) if isinstance(row, dict) else None for row in data}
    if None in field_sets:
        raise SecSchemaError("a row is not a JSON object", endpoint=endpoint, hour=hour, body=body)
    eras = {_ERA_BY_FIELDS.get(fs) for fs in field_sets}  # type: ignore[arg-type]
    if None in eras or len(eras) != 1:
        known = set(CURRENT_FIELDS) | set(LEGACY_FIELDS)
        seen = set().union(*field_sets)  # type: ignore[arg-type]
        missing = sorted(set(CURRENT_FIELDS) - seen)
        unknown = sorted(seen - known)
        raise SecSchemaError(
            f"unknown row shape (missing {missing}, unknown {unknown}, "
            f"{len(field_sets)} distinct field sets)",
            endpoint=endpoint,
            hour=hour,
            body=body,
        )
    era = eras.pop()
    assert era is not None
    customers = sum(_numeric(row.get("CLIENTES_AFECTADOS")) for row in data)
    return SnapshotAnswer(era, fingerprint(next(iter(field_sets))), data, customers)  # type: ignore[arg-type]


def validate_server_time(body: bytes) -> str:
    """``[{"FECHA": "dd/mm/yyyy HH:MM"}]`` → the FECHA string."""
    data = parse_json(body, endpoint="GetHoraServer", hour=None)
    if not (isinstance(data, list) and data and isinstance(data[0], dict) and "FECHA" in data[0]):
        raise SecSchemaError('expected [{"FECHA": ...}]', endpoint="GetHoraServer", body=body)
    return str(data[0]["FECHA"])


def validate_customers(body: bytes, *, endpoint: str, key: str) -> int | None:
    """``[{"CLIENTES": n, ...}]`` → n; ``[]`` → None (the service did not know the name)."""
    data = parse_json(body, endpoint=endpoint, hour=None)
    if isinstance(data, list) and not data:
        return None
    ok = isinstance(data, list) and isinstance(data[0], dict) and "CLIENTES" in data[0]
    if not ok or not isinstance(data[0]["CLIENTES"], int):
        raise SecSchemaError(
            f'expected [{{"CLIENTES": int}}] for {key}', endpoint=endpoint, body=body
        )
    return int(data[0]["CLIENTES"])

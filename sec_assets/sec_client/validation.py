"""Validation of SEC answers and recognition of the payload era. Pure functions, no I/O.

One parser and one validation for bronze (the client, before an answer is trusted) and silver
(``silver/bronze_reader.py``, before a stored answer is used): whatever bronze accepts, silver
reads. The parser is strict ``orjson``: NaN, Infinity, numbers that overflow a double, lone
surrogates, bytes that are not UTF-8 and a UTF-8 byte order mark are refused, as are values no
column can hold (a nested object where a number goes, a number beyond 2^53), numbers that break
their field's rule, sent as numbers or as strings (``numbers.py``), a key repeated in one object
and a legacy answer for another date (``answer_checks.py``).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, Literal

import orjson

from sec_assets.sec_client.answer_checks import START_FIELDS, duplicate_key, wrong_start
from sec_assets.sec_client.errors import SecInvalidBodyError, SecSchemaError, SecWrongDateError
from sec_assets.sec_client.numbers import RANGES, breaks_rule, integer

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


# Bumped whenever a rule below changes: bronze records it in each valid envelope, and silver
# re-validates only files stored under another version (older rules), so what bronze accepts
# under these rules is read as is, and nothing older is trusted blindly.
VALIDATION_VERSION = "3"
MAX_NUMBER = 2**53  # the largest magnitude a double (and every column) holds exactly


def _lenient_reason(body: bytes, strict_error: str) -> str | None:
    """Why strict parsing refused a body the lenient stdlib parser accepts; None when the body
    is not JSON at all (an HTML page, a cut answer)."""
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return math.nan

    try:
        json.loads(body, parse_constant=constant)
    except UnicodeDecodeError as exc:
        if _lenient_reason(body.decode("utf-8", "replace").encode(), strict_error) is None:
            return None
        return f"bytes that are not UTF-8 ({exc.reason} at byte {exc.start})"
    except (ValueError, RecursionError):
        return None
    if body.startswith(codecs.BOM_UTF8):
        return "a UTF-8 byte order mark precedes the JSON"
    if constants:
        return f"non-finite number {constants[0]} where a number goes"
    if "surrogate" in strict_error:
        return f"a lone surrogate in a string ({strict_error})"
    if "infinity" in strict_error:
        return f"a number that overflows a double ({strict_error})"
    return f"JSON the strict parser refuses ({strict_error})"


def parse_rows(body: bytes, *, hour: str | None) -> list[dict[str, Any]]:
    """The rows of a body validated under this :data:`VALIDATION_VERSION` (strict parser)."""
    data = parse_json(body, endpoint="bronze", hour=hour)
    if not isinstance(data, list):
        raise SecSchemaError("expected a JSON list", endpoint="bronze", hour=hour, body=body)
    return data


def parse_json(body: bytes, *, endpoint: str, hour: str | None) -> Any:
    """Strict JSON. Well-formed JSON with values no column can hold (NaN, Infinity, 1e400, a
    lone surrogate, a BOM) is a :class:`SecSchemaError`; anything else that is not JSON is a
    :class:`SecInvalidBodyError` (an HTML page or a cut answer: transient)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        reason = _lenient_reason(body, str(exc))
        if reason is not None:
            raise SecSchemaError(reason, endpoint=endpoint, hour=hour, body=body) from exc
        head = body.lstrip()[:1]
        what = "an HTML page" if head == b"<" else "truncated or malformed JSON"
        raise SecInvalidBodyError(
            f"expected JSON, got {what} ({exc.__class__.__name__})",
            endpoint=endpoint,
            hour=hour,
            body=body,
        ) from exc


def bad_value(rows: list[dict[str, Any]]) -> str | None:
    """The first value no column can hold, described; None when every value is a string, null,
    a boolean or a finite number within ±2^53, and every number of a numeric field (a count, a
    date part), sent as a number or as a string, passes its rule (:mod:`numbers`). Kept a
    tight loop: bronze runs it on every answer."""
    for row in rows:
        for field, value in row.items():
            kind = type(value)
            bounds = RANGES.get(field)
            if (
                bounds is not None
                and kind is not bool
                and (kind is int or kind is float or kind is str)
            ):
                if kind is int and bounds[0] <= value <= bounds[1]:
                    continue  # the common case, without a call
                problem = breaks_rule(field, value)
                if problem is not None:
                    return problem
                continue
            if kind is str or value is None or kind is bool:
                continue
            if kind is int or kind is float:
                if -MAX_NUMBER <= value <= MAX_NUMBER:  # False for NaN
                    continue
                return f"{field}={value!r} is out of range (beyond ±2^53 or not finite)"
            return f"{field} holds a JSON {kind.__name__} where a value goes"
    return None


def _numeric(value: Any) -> int:
    """A customer count to sum (bad_value has checked it); 0 for null or text."""
    if type(value) is int:
        return value
    return integer("CLIENTES_AFECTADOS", value) or 0


def validate_snapshot(body: bytes, *, hour: str | None, endpoint: str = "GetPorFecha"):
    """Validate a ``GetPorFecha`` body; raise a typed error rather than ever return a fake empty.

    Every row must carry exactly one known era's field set, every value must be one a
    column can hold (:func:`bad_value`), no object may repeat a key, and a legacy answer's
    outages must not start after the date of ``hour`` (:class:`SecWrongDateError`). Odd but
    storable values (a null or ``"N/A"`` customer count) are kept and counted by silver's
    guardrails.
    """
    data = parse_json(body, endpoint=endpoint, hour=hour)
    return validate_rows(data, body, hour=hour, endpoint=endpoint)


def validate_rows(
    data: Any,
    body: bytes,
    *,
    hour: str | None,
    endpoint: str = "GetPorFecha",
    unique_keys: bool = False,
) -> SnapshotAnswer:
    """:func:`validate_snapshot` of a body already parsed as ``data`` (``orjson.loads(body)``
    would give it). ``unique_keys``: ``body`` was serialized from ``data`` (it cannot repeat a
    key, so it is not scanned for one)."""
    if not isinstance(data, list):
        raise SecSchemaError(
            f"expected a JSON list, got {type(data).__name__}",
            endpoint=endpoint,
            hour=hour,
            body=body,
        )
    if not data:
        return SnapshotAnswer("empty", fingerprint(set()), [], 0)
    field_sets: set[frozenset[str] | None]
    if set(map(type, data)) == {dict}:
        field_sets = set(map(frozenset, set(map(tuple, data))))
    else:
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
    fields = next(iter(field_sets))
    assert fields is not None
    columns = {name: list(map(itemgetter(name), data)) for name in sorted(fields)}
    clean = _plainly_valid(columns)
    problem = None if clean else bad_value(data)
    if problem is None and not unique_keys:
        problem = duplicate_key(body, data)
    if problem is not None:
        raise SecSchemaError(problem, endpoint=endpoint, hour=hour, body=body)
    if era == "legacy":
        starts = set(zip(*(columns[f] for f in START_FIELDS), strict=True))
        if (problem := wrong_start(starts, hour)) is not None:
            raise SecWrongDateError(problem, endpoint=endpoint, hour=hour, body=body)
    counts = columns["CLIENTES_AFECTADOS"]
    customers = sum(counts) if clean else sum(map(_numeric, counts))
    return SnapshotAnswer(era, fingerprint(fields), data, customers)  # type: ignore[arg-type]


_PLAIN_TEXT = frozenset({str, type(None), bool})


def _plainly_valid(columns: dict[str, list[Any]]) -> bool:
    """True when every value passes :func:`bad_value` without a look at it alone: each number
    field holds only integers within its range, every other field only text, null or booleans.
    Column by column, at the builtins' speed; anything else is left to :func:`bad_value`."""
    for field, values in columns.items():
        kinds = set(map(type, values))
        bounds = RANGES.get(field)
        if bounds is None:
            if not kinds <= _PLAIN_TEXT:
                return False
        elif kinds != {int} or min(values) < bounds[0] or max(values) > bounds[1]:
            return False
    return True


def validate_server_time(body: bytes) -> str:
    """``[{"FECHA": "dd/mm/yyyy HH:MM"}]`` → the FECHA string, which must be that date and time
    (its numeric parts within a calendar's ranges)."""
    data = parse_json(body, endpoint="GetHoraServer", hour=None)
    if not (isinstance(data, list) and data and isinstance(data[0], dict) and "FECHA" in data[0]):
        raise SecSchemaError('expected [{"FECHA": ...}]', endpoint="GetHoraServer", body=body)
    fecha = data[0]["FECHA"]
    try:
        datetime.strptime(fecha, "%d/%m/%Y %H:%M")
    except (TypeError, ValueError):
        raise SecSchemaError(
            f"FECHA={fecha!r} is not dd/mm/yyyy HH:MM", endpoint="GetHoraServer", body=body
        ) from None
    return str(fecha)


def validate_customers(body: bytes, *, endpoint: str, key: str) -> int | None:
    """``[{"CLIENTES": n, ...}]`` → n; ``[]`` → None (the service did not know the name)."""
    data = parse_json(body, endpoint=endpoint, hour=None)
    if isinstance(data, list) and not data:
        return None
    ok = isinstance(data, list) and isinstance(data[0], dict) and "CLIENTES" in data[0]
    value = integer("CLIENTES", data[0]["CLIENTES"]) if ok else None
    if value is None:
        why = breaks_rule("CLIENTES", data[0]["CLIENTES"]) if ok else None
        raise SecSchemaError(
            f'expected [{{"CLIENTES": int}}] for {key}' + (f": {why}" if why else ""),
            endpoint=endpoint,
            body=body,
        )
    return value

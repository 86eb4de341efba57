"""One point of the seed's ``checkpoint_<year>.json`` as a bronze exchange. Pure, no I/O.

The seed's collector (``simonkey1/SEC``, ``core/async_historical_scraper.py``) saved, per year,
``{"metadata": {...}, "data": [point, ...]}``, one point per scraped (date, hour): a ``success``
flag, the point's date and hour, the rows it got under ``data`` (legacy 13-field or current
3-field) or an ``error``, and the server time it was scraped at (``hora_server_scraping``).
The seed's point builder is not published, so the date and hour are read from any of the
spellings its code used (``fecha``, ``anho``/``year``/``año``, ``mes``/``month``,
``dia``/``day``, ``hora``/``hour``, or a nested request body ``params``).

The rows are validated by the same function as a fetched answer
(:func:`sec_assets.sec_client.validation.validate_snapshot`): era, fingerprint, typed errors.
A point the seed marks as failed stays failed (outcome ``seed_failed``), never zero.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from sec_assets.month import CHILE, LocalHour
from sec_assets.sec_client.errors import SecError
from sec_assets.sec_client.exchange import Attempt
from sec_assets.sec_client.validation import validate_snapshot

IMPORT_ATTEMPT = 0  # ``-a0-`` in a bronze file name: an imported answer, not a fetch
SEED_FAILED = "seed_failed"
_YEAR = ("anho", "year", "año", "ano", "ANHO")
_MONTH = ("mes", "month", "MES")
_DAY = ("dia", "day", "día", "DIA")
_HOUR = ("hora", "hour", "HORA")
_DATE = ("fecha", "date", "FECHA")
_SCRAPED = ("hora_server_scraping", "timestamp", "scraped_at", "fetched_at")
_NESTED = ("params", "request", "body", "point")


class UnreadablePoint(ValueError):
    """A point whose hour cannot be known: it is quarantined, not guessed."""


@dataclass(frozen=True)
class SeedSource:
    """The archive file a point comes from."""

    name: str
    sha256: str


@dataclass(frozen=True)
class ImportedPoint:
    month: str
    hour: LocalHour
    attempt: Attempt
    extra: dict[str, Any]  # the envelope's ``imported`` provenance


def _first(point: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if point.get(name) is not None:
            return point[name]
    for nest in _NESTED:
        inner = point.get(nest)
        if isinstance(inner, dict):
            found = _first(inner, names)
            if found is not None:
                return found
    return None


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(str(value).strip().split(":")[0])


def _parse_date(text: str) -> date:
    text = text.strip()[:10]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unknown date format {text!r}")


def point_hour(point: Any) -> LocalHour:
    """The local hour a point was asked for; :class:`UnreadablePoint` when it cannot be told."""
    if not isinstance(point, dict):
        raise UnreadablePoint(f"a point is a {type(point).__name__}, not an object")
    try:
        raw_date = _first(point, _DATE)
        if raw_date is not None and not isinstance(raw_date, int | float):
            day = _parse_date(str(raw_date))
            hour_in_date = re.search(r"[T ](\d{1,2}):", str(raw_date))
        else:
            y, m, d = (_first(point, names) for names in (_YEAR, _MONTH, _DAY))
            if None in (y, m, d):
                raise ValueError("no date (fecha, or anho/mes/dia)")
            day, hour_in_date = date(_int(y), _int(m), _int(d)), None
        raw_hour = _first(point, _HOUR)
        if raw_hour is None and hour_in_date is None:
            raise ValueError("no hour (hora)")
        hour = _int(raw_hour) if raw_hour is not None else int(hour_in_date.group(1))  # type: ignore[union-attr]
        if not 0 <= hour <= 23:
            raise ValueError(f"hour {hour} out of range")
    except (ValueError, TypeError, OverflowError) as exc:
        raise UnreadablePoint(str(exc)) from None
    return LocalHour(day, hour)


def scraped_at(point: dict[str, Any], hour: LocalHour) -> tuple[datetime, bool]:
    """When the point was scraped, if it says so (UTC), else the hour's own start: a stable,
    deterministic stamp (re-imports name the same file) older than any later fetch."""
    raw = _first(point, _SCRAPED)
    if isinstance(raw, str) and raw.strip():
        text = raw.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is not None:
            if parsed.tzinfo is None:  # the SEC's server time is Chile local
                parsed = parsed.replace(tzinfo=CHILE)
            return parsed.astimezone(UTC), True
    return hour.start_utc, False


def _outcome(point: dict[str, Any], body: bytes | None, key: str) -> dict[str, Any]:
    success = point.get("success", "error" not in point)
    if success is not True:
        error = point.get("error") or "the seed marked the point as failed"
        return {"outcome": SEED_FAILED, "error": f"seed archive: {str(error)[:500]}"}
    if body is None:
        return {"outcome": "schema_error", "error": "seed archive: success without 'data'"}
    try:
        answer = validate_snapshot(body, hour=key)
    except SecError as exc:
        return {"outcome": exc.kind, "error": str(exc)}
    return {
        "outcome": "empty" if answer.era == "empty" else "ok",
        "era": answer.era,
        "fingerprint": answer.fingerprint,
        "rows": len(answer.rows),
        "customers": answer.customers,
    }


def _dump(rows: Any) -> bytes:
    """The point's rows as compact JSON (values, key order and non-ASCII text as parsed)."""
    try:
        return orjson.dumps(rows)
    except TypeError:  # an integer beyond 64 bits: the standard library keeps it
        return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def import_point(point: Any, index: int, source: SeedSource) -> ImportedPoint:
    """The bronze exchange of one point (raises :class:`UnreadablePoint`)."""
    hour = point_hour(point)
    rows = point.get("data")
    body = _dump(rows) if "data" in point else None
    fetched, known = scraped_at(point, hour)
    verdict = _outcome(point, body, hour.key)
    attempt = Attempt(
        endpoint="GetPorFecha",
        url=f"seed-archive:{source.name}#{index}",
        request_body=hour.request_body,
        key=hour.key,
        attempt=IMPORT_ATTEMPT,
        fetched_at=fetched,
        latency_ms=0.0,
        http_status=None,
        headers={},
        body=body,
        **verdict,
    )
    extra = {
        "imported": {
            "source_file": source.name,
            "source_sha256": source.sha256,
            "point_index": index,
            "fetched_at_known": known,
            "hour_exists": hour.exists,
            # everything the point said besides its rows, as it said it
            "point": {k: v for k, v in point.items() if k != "data"},
        }
    }
    return ImportedPoint(hour.month_key, hour, attempt, extra)

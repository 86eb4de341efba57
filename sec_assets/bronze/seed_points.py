"""One point of the seed's archives as a bronze exchange. Pure, no I/O.

The shapes are those the seed's code writes (``docs/seed_archives.md``): a point carries its
rows under ``data`` and the hour it asked for as ``fecha_consultada`` (``"YYYY-MM-DD HH:00"``,
Chile local); the server time of the scrape is ``hora_server_scraping`` (year archives) or
``hora_server`` (``core/historical_scraper.py``), either the ``GetHoraServer`` answer
(``[{"FECHA": "dd/mm/yyyy HH:MM"}]``) or its text. A point without ``success`` is one the seed
stored only on success; ``success: false`` (with ``error``) stays failed (``seed_failed``),
never zero.

The rows are validated by the same function as a fetched answer
(:func:`sec_assets.sec_client.validation.validate_snapshot`): era, fingerprint, typed errors.
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
from sec_assets.sec_client.validation import validate_rows, validate_snapshot

IMPORT_ATTEMPT = 0  # ``-a0-`` in a bronze file name: an imported answer, not a fetch
SOURCE = "seed_archive"  # ``imported.source`` of every imported envelope
SEED_FAILED = "seed_failed"
DATE_KEY = "fecha_consultada"
_SCRAPED = ("hora_server_scraping", "hora_server")
_ASKED = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):00")
_SERVER_TIME = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


class UnreadablePoint(ValueError):
    """A point whose hour cannot be known: it is quarantined, not guessed. ``reason`` is a
    short code (``not_an_object``, ``no_date``, ``bad_date``) for the counts."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}")


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


def point_hour(point: Any) -> LocalHour:
    """The local hour a point was asked for; :class:`UnreadablePoint` when it cannot be told."""
    if not isinstance(point, dict):
        raise UnreadablePoint("not_an_object", f"a point is a {type(point).__name__}")
    raw = point.get(DATE_KEY)
    if raw is None:
        keys = sorted(str(k) for k in point)[:12]
        raise UnreadablePoint("no_date", f"no {DATE_KEY!r} (keys: {keys})")
    match = _ASKED.fullmatch(raw.strip()) if isinstance(raw, str) else None
    try:
        if match is None:
            raise ValueError("not 'YYYY-MM-DD HH:00'")
        y, m, d, h = (int(g) for g in match.groups())
        if h > 23:
            raise ValueError(f"hour {h}")
        return LocalHour(date(y, m, d), h)
    except ValueError as exc:
        raise UnreadablePoint("bad_date", f"{DATE_KEY} {str(raw)[:40]!r}: {exc}") from None


def _server_text(raw: Any) -> str | None:
    """``GetHoraServer``'s answer (a list of ``{"FECHA": ...}``) or its text."""
    if isinstance(raw, list) and raw and isinstance(raw[0], dict):
        raw = raw[0].get("FECHA")
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def scraped_at(point: dict[str, Any], hour: LocalHour) -> tuple[datetime, bool]:
    """When the point was scraped (the server's Chile-local time, as UTC) if it says so, else
    the hour's own start: a stable stamp (re-imports name the same file) older than any fetch."""
    for name in _SCRAPED:
        text = _server_text(point.get(name))
        for fmt in _SERVER_TIME if text else ():
            try:
                parsed = datetime.strptime(text, fmt)  # type: ignore[arg-type]
            except ValueError:
                continue
            return parsed.replace(tzinfo=CHILE).astimezone(UTC), True
    return hour.start_utc, False


def _outcome(point: dict[str, Any], body: bytes | None, key: str, dumped: bool) -> dict[str, Any]:
    # ``core/historical_scraper.py`` writes no flag (a failure raises and is not stored)
    success = point.get("success", point.get("error") is None)
    if success is not True:
        error = point.get("error") or "the seed marked the point as failed"
        return {"outcome": SEED_FAILED, "error": f"seed archive: {str(error)[:500]}"}
    if body is None:
        return {"outcome": "schema_error", "error": "seed archive: success without 'data'"}
    try:
        if dumped:  # ``body`` is orjson's text of the rows: they are what parsing it gives
            answer = validate_rows(point["data"], body, hour=key, unique_keys=True)
        else:
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


def _dump(rows: Any) -> tuple[bytes, bool]:
    """The point's rows as compact JSON (values, key order and non-ASCII text as parsed), and
    whether ``orjson`` wrote it."""
    try:
        return orjson.dumps(rows), True
    except TypeError:  # an integer beyond 64 bits: the standard library keeps it
        text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8"), False


def import_point(point: Any, index: int, source: SeedSource) -> ImportedPoint:
    """The bronze exchange of one point (raises :class:`UnreadablePoint`)."""
    hour = point_hour(point)
    rows = point.get("data")
    body, dumped = _dump(rows) if "data" in point else (None, False)
    fetched, known = scraped_at(point, hour)
    verdict = _outcome(point, body, hour.key, dumped)
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
            "source": SOURCE,
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

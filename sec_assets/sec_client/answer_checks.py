"""Checks of a parsed ``GetPorFecha`` answer beyond its shape: a key repeated within one JSON
object (``orjson`` keeps the last value silently), and an answer for another date than the
hour asked (legacy era). Pure, no I/O.

Evidence for the date rule: in the seed project's saved answers (``simonkey1/SEC``,
``clientes_afectados.json``), ``DIA_INT``/``MES_INT``/``ANHO_INT`` are the parts of
``FECHA_INT_STR`` row by row, and differ between rows of one answer (28 and 29 January 2025):
they are the outage's start date, not the date asked. So the rule is: no outage of an answer
starts after the date of the hour asked (the service cannot list an outage that has not begun).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sec_assets.sec_client.numbers import integer


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(f"key {key!r} appears twice in one JSON object")
        seen[key] = value
    return seen


def duplicate_key(body: bytes, rows: list[dict[str, Any]], fields: frozenset[str]) -> str | None:
    """Why ``body`` repeats a key within an object; None when it does not.

    Cheap first: each field's quoted name must occur once per row. Only when some name occurs
    more often (a repeat, or the name inside a value) or a key may be written with escapes
    (``\\u``) is the body parsed again with a hook that sees every pair."""
    n = len(rows)
    suspect = b"\\u" in body or any(body.count(f'"{f}"'.encode()) > n for f in fields)
    if not suspect:
        return None
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except DuplicateKey as exc:
        return str(exc)
    except ValueError:  # the strict parser accepted it: nothing more to say here
        return None
    return None


def _hour_date(hour: str | None) -> date | None:
    try:
        return datetime.strptime(hour or "", "%Y-%m-%dT%H").date()
    except ValueError:
        return None


def _parts_date(row: dict[str, Any]) -> date | None:
    year, month, day = (integer(f, row.get(f)) for f in ("ANHO_INT", "MES_INT", "DIA_INT"))
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _text_date(text: Any, cache: dict[Any, date | None]) -> date | None:
    if text not in cache:
        try:
            cache[text] = datetime.strptime(str(text).strip(), "%d/%m/%Y").date()
        except ValueError:
            cache[text] = None
    return cache[text]


def wrong_date(rows: list[dict[str, Any]], hour: str | None) -> str | None:
    """Why a legacy answer is not the one for ``hour`` (``YYYY-MM-DDTHH``): an outage that starts
    after the date asked. None when every start is on or before it, or ``hour`` is not an hour
    key (nothing to compare with)."""
    asked = _hour_date(hour)
    if asked is None:
        return None
    texts: dict[Any, date | None] = {}  # a few distinct FECHA_INT_STR per answer
    for row in rows:
        for start in (_parts_date(row), _text_date(row.get("FECHA_INT_STR"), texts)):
            if start is not None and start > asked:
                return (
                    f"an outage starts on {start.isoformat()}, after the date asked "
                    f"{asked.isoformat()} (DIA_INT/MES_INT/ANHO_INT={row.get('DIA_INT')!r}/"
                    f"{row.get('MES_INT')!r}/{row.get('ANHO_INT')!r}, "
                    f"FECHA_INT_STR={row.get('FECHA_INT_STR')!r})"
                )
    return None

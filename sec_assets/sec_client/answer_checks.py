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
import re
from datetime import date, datetime
from functools import lru_cache
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


_SPACED_KEY = re.compile(rb'"[ \t\r\n]+:')


def duplicate_key(body: bytes, rows: list[dict[str, Any]]) -> str | None:
    """Why ``body`` repeats a key within an object; None when it does not.

    Cheap first: every key is written as ``"...":``, so a body whose count of ``":`` equals the
    keys the parsed rows hold repeats none (a repeat adds one, escaped or not). Only when the
    counts differ (a repeat, ``":`` inside a value) or a key is followed by blanks before its
    colon is the body parsed again with a hook that sees every pair."""
    keys = sum(len(row) for row in rows)
    if body.count(b'":') == keys and _SPACED_KEY.search(body) is None:
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


def _parts_date(year: Any, month: Any, day: Any) -> date | None:
    y, m, d = integer("ANHO_INT", year), integer("MES_INT", month), integer("DIA_INT", day)
    if y is None or m is None or d is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _text_date(text: Any) -> date | None:
    try:
        return datetime.strptime(str(text).strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


START_FIELDS = ("ANHO_INT", "MES_INT", "DIA_INT", "FECHA_INT_STR")  # a legacy outage's start


def wrong_date(rows: list[dict[str, Any]], hour: str | None) -> str | None:
    """Why a legacy answer is not the one for ``hour`` (``YYYY-MM-DDTHH``): an outage that starts
    after the date asked. None when every start is on or before it, or ``hour`` is not an hour
    key (nothing to compare with). Each distinct start (a few per answer) is read once."""
    return wrong_start({tuple(row.get(f) for f in START_FIELDS) for row in rows}, hour)


@lru_cache(maxsize=4096)
def _start_dates(year: Any, month: Any, day: Any, text: Any) -> tuple[date | None, date | None]:
    """The start date a legacy row's parts and its ``FECHA_INT_STR`` say (answers repeat them)."""
    return _parts_date(year, month, day), _text_date(text)


def wrong_start(starts: set[tuple[Any, ...]], hour: str | None) -> str | None:
    """:func:`wrong_date` of an answer's distinct starts (:data:`START_FIELDS` values)."""
    asked = _hour_date(hour)
    if asked is None:
        return None
    for year, month, day, text in sorted(starts, key=repr):
        for start in _start_dates(year, month, day, text):
            if start is not None and start > asked:
                return (
                    f"an outage starts on {start.isoformat()}, after the date asked "
                    f"{asked.isoformat()} (DIA_INT/MES_INT/ANHO_INT={day!r}/{month!r}/"
                    f"{year!r}, FECHA_INT_STR={text!r})"
                )
    return None

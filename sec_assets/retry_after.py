"""``Retry-After`` read once for every HTTP client here (the SEC service, Supabase).

The header holds seconds or an HTTP-date (RFC 9110 §10.2.3); both become a wait in seconds,
never negative. The retry loops then cap it (:func:`retry_after_wait`), so a server cannot
park a run for hours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is GMT; "-0000" parses as naive
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def retry_after_header(headers: Mapping[str, str] | None) -> float | None:
    """:func:`parse_retry_after` of a response's headers (any mapping, case as httpx keeps)."""
    return parse_retry_after(headers.get("retry-after")) if headers is not None else None


def retry_after_wait(exc: BaseException | None, cap_s: float) -> float | None:
    """The wait an error's ``retry_after_s`` asks for, at most ``cap_s``; None if it asks
    for none (then the caller's own backoff applies)."""
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is None:
        return None
    return min(max(float(retry_after), 0.0), cap_s)

"""``Retry-After`` read once for every HTTP client here (the SEC service, Supabase).

The header holds seconds or an HTTP-date (RFC 9110 §10.2.3); both become a wait in seconds,
never negative. The retry loops then cap it (:func:`retry_after_wait`), so a server cannot
park a run for hours, and fall back to their own backoff without it
(:func:`retry_after_or_backoff`, the one wait both clients use).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState
from tenacity.wait import wait_random_exponential


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


def retry_after_or_backoff(
    *, initial_s: float, max_s: float, retry_after_cap_s: float
) -> Callable[[RetryCallState], float]:
    """A tenacity ``wait``: the ``Retry-After`` the last error carries (at most
    ``retry_after_cap_s``), else random exponential backoff from ``initial_s`` up to ``max_s``."""
    backoff = wait_random_exponential(multiplier=initial_s, max=max_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = retry_after_wait(exc, retry_after_cap_s)
        return retry_after if retry_after is not None else float(backoff(state))

    return wait

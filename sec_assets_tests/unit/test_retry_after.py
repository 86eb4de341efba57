"""Retry-After parsed once: seconds or HTTP-date, never negative, capped by the caller."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tenacity import RetryCallState

from sec_assets.retry_after import parse_retry_after, retry_after_or_backoff, retry_after_wait

NOW = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Fri, 01 Mar 2024 12:00:30 GMT", 30.0),
        ("Fri, 01 Mar 2024 11:00:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse(raw: str | None, expected: float | None) -> None:
    assert parse_retry_after(raw, now=NOW) == expected


def test_wait_is_capped_and_absent_without_a_hint() -> None:
    class Slow(Exception):
        retry_after_s = 600.0

    assert retry_after_wait(Slow(), 30.0) == 30.0
    assert retry_after_wait(ValueError(), 30.0) is None
    assert retry_after_wait(None, 30.0) is None


def test_the_wait_takes_retry_after_else_backs_off() -> None:
    class Slow(Exception):
        retry_after_s = 600.0

    wait = retry_after_or_backoff(initial_s=1.0, max_s=4.0, retry_after_cap_s=30.0)

    def state(exc: BaseException, attempt: int) -> RetryCallState:
        s = RetryCallState(None, None, (), {})
        s.attempt_number = attempt
        s.set_exception((type(exc), exc, None))
        return s

    assert wait(state(Slow(), 1)) == 30.0  # the hint, capped
    assert all(0 <= wait(state(ValueError(), n)) <= 4.0 for n in range(1, 8))  # the backoff

"""Which failures are retried, and how long the policy waits between tries."""

from __future__ import annotations

import pytest
from tenacity import RetryCallState

from sec_assets.gold.sync.errors import (
    DashboardHttpError,
    DashboardSinkError,
    DashboardTransportError,
)
from sec_assets.gold.sync.retry import RetryPolicy, is_transient


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (DashboardHttpError("p", 500, "internal"), True),
        (DashboardHttpError("p", 502, "bad gateway"), True),
        (DashboardHttpError("p", 503, "unavailable"), True),
        (DashboardHttpError("p", 504, "gateway timeout"), True),
        (DashboardHttpError("p", 429, "too many requests"), True),
        (DashboardHttpError("p", 408, "request timeout"), True),
        (DashboardTransportError("p", "connection error: ConnectError"), True),
        (DashboardHttpError("p", 400, "bad request"), False),
        (DashboardHttpError("p", 401, "JWT expired"), False),
        (DashboardHttpError("p", 403, "row-level security"), False),
        (DashboardHttpError("p", 404, "no such table"), False),
        (DashboardHttpError("p", 409, "conflict"), False),
        (DashboardSinkError("p", "invalid URL"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_transient_failures_are_retried(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def run(policy: RetryPolicy, failures: list[BaseException]) -> tuple[int, list[float]]:
    """Call a function that raises ``failures`` in turn, then succeeds; record the sleeps."""
    sleeps: list[float] = []
    calls = 0
    for attempt in policy.retrying(sleep=sleeps.append):
        with attempt:
            calls += 1
            if failures:
                raise failures.pop(0)
    return calls, sleeps


def test_backoff_grows_within_its_cap() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_initial_s=0.1, backoff_max_s=0.5)
    calls, sleeps = run(policy, [DashboardHttpError("p", 503, "x") for _ in range(5)])
    assert calls == 6 and len(sleeps) == 5
    assert all(0 <= s <= 0.5 for s in sleeps)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=3, backoff_initial_s=0.1, backoff_max_s=5.0)
    failures: list[BaseException] = [
        DashboardHttpError("p", 429, "slow down", retry_after_s=2.0),
        DashboardHttpError("p", 429, "slow down", retry_after_s=600.0),
    ]
    assert run(policy, failures) == (3, [2.0, 5.0])


def test_a_permanent_error_is_raised_at_once() -> None:
    policy = RetryPolicy(max_attempts=5)
    with pytest.raises(DashboardHttpError, match="HTTP 401"):
        run(policy, [DashboardHttpError("p", 401, "JWT expired")])


def test_the_last_transient_error_is_raised_when_attempts_run_out() -> None:
    policy = RetryPolicy(max_attempts=2, backoff_initial_s=0)
    with pytest.raises(DashboardTransportError, match="third"):
        run(
            policy,
            [DashboardTransportError("p", "second"), DashboardTransportError("p", "third")],
        )


def test_wait_without_an_outcome_is_plain_backoff() -> None:
    state = RetryCallState(retry_object=RetryPolicy().retrying(), fn=None, args=(), kwargs={})
    assert 0 <= RetryPolicy(backoff_initial_s=0.1, backoff_max_s=1).wait_s(state) <= 1

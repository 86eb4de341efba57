"""When to retry a publication and how long to wait: transient failures only, with backoff
and jitter, honouring ``Retry-After`` up to a cap."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from sec_assets.gold.sync.errors import DashboardSinkError
from sec_assets.retry_after import retry_after_or_backoff


def is_transient(exc: BaseException) -> bool:
    """5xx, 429, 408, timeouts and connection errors (as typed by the client wrapper)."""
    return isinstance(exc, DashboardSinkError) and exc.transient


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0

    def wait_s(self, state: RetryCallState) -> float:
        """``Retry-After`` up to ``backoff_max_s``, else random exponential backoff."""
        wait = retry_after_or_backoff(
            initial_s=self.backoff_initial_s,
            max_s=self.backoff_max_s,
            retry_after_cap_s=self.backoff_max_s,
        )
        return wait(state)

    def retrying(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        before_sleep: Callable[[RetryCallState], Any] | None = None,
    ) -> Retrying:
        """A tenacity loop: ``for attempt in policy.retrying(): with attempt: ...``."""
        return Retrying(
            stop=stop_after_attempt(max(self.max_attempts, 1)),
            wait=self.wait_s,
            retry=retry_if_exception(is_transient),
            reraise=True,
            sleep=sleep,
            before_sleep=before_sleep,
        )

"""Why automation launches nothing while the SEC client's circuit breaker refuses requests.

A run launched while the breaker is OPEN (or HALF_OPEN with a probe in flight) would send
nothing and fail; the schedules and the sensor skip instead, saying why, when the breaker
half-opens and how to reset it. HALF_OPEN without a probe in flight lets a run through: it
carries the probe.
"""

from __future__ import annotations

from sec_assets.sec_client.breaker import BreakerState
from sec_assets.sec_client.resource import SecClientResource


def breaker_skip_reason(sec_client: SecClientResource, what: str) -> str | None:
    """The skip message if ``sec_client``'s breaker refuses requests now, else None. ``what``
    names what is not launched (``"2024-08 not requested"``)."""
    breaker = sec_client.breaker()
    data = breaker.peek(0.0)
    state = breaker.effective(data)
    if state is BreakerState.CLOSED:
        return None
    if state is BreakerState.HALF_OPEN and not breaker.probe_alive(data):
        return None
    return f"{what}: {breaker.describe()}"

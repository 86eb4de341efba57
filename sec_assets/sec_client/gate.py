"""The breaker's word for one request, and how a request waits for a half-open probe.

Every attempt counts as a success or a failure for the breaker; a request's first attempt needs
admission: in HALF_OPEN only one request of the endpoint that tripped the breaker becomes the
probe, and the others wait for its verdict. Waiting polls the state read-only (one shared read
per interval for every waiting request of the client, see ``CircuitBreaker.peek``), with a
backoff from ``first_poll_s`` to ``max_poll_s`` (from the start again when the state changes),
never past the probe's claim deadline, and never writes. A request of another endpoint that
finds no probe in flight gives way once (so a request of the tripping endpoint in the same run
can claim the probe), then is refused.
"""

from __future__ import annotations

from typing import Literal

from sec_assets.sec_client.breaker import BreakerState, CircuitBreaker

Verdict = Literal["go", "wait", "open"]


class BreakerGate:
    def __init__(
        self,
        breaker: CircuitBreaker,
        endpoint: str,
        *,
        first_poll_s: float = 0.1,
        max_poll_s: float = 2.0,
    ) -> None:
        self.breaker = breaker
        self.endpoint = endpoint
        self.admitted = False
        self.probing = False  # this request holds the half-open breaker's probe claim
        self.polls = 0  # how many times this request waited
        self._first_poll_s = self._next_poll_s = first_poll_s
        self._max_poll_s = max_poll_s
        self._seen: tuple[object, ...] | None = None
        self._gave_way = False

    def verdict(self) -> Verdict:
        breaker = self.breaker
        data = breaker.peek()
        state = breaker.effective(data)
        if state is BreakerState.OPEN:
            return "open"
        if self.admitted or state is BreakerState.CLOSED:
            self.admitted = True
            return "go"
        if breaker.may_probe(data, self.endpoint):
            if breaker.allow_request(self.endpoint):
                self.admitted = self.probing = True  # HALF_OPEN: this request is the probe
                return "go"
            return "wait"  # another request claimed the probe just now
        if breaker.probe_alive(data):
            return "wait"  # the probe's verdict decides
        if self._gave_way:
            return "open"  # half-open for another endpoint, and nobody here probes it
        self._gave_way = True
        return "wait"

    def release_probe(self) -> None:
        """Give the probe claim back, unanswered (a configuration mistake of ours)."""
        if self.probing:
            self.probing = False
            self.breaker.release_probe()

    def wait_s(self) -> float:
        """How long to sleep before asking again: backoff, capped at the probe's deadline, and
        started again from ``first_poll_s`` when the state changes (a new probe is in flight:
        its verdict is near)."""
        self.polls += 1
        data = self.breaker.peek()
        seen = (data.state, data.probe_started_at, data.opened_at)
        if seen != self._seen:
            self._seen = seen
            self._next_poll_s = self._first_poll_s
        delay = self._next_poll_s
        self._next_poll_s = min(self._next_poll_s * 2, self._max_poll_s)
        deadline = self.breaker.probe_deadline()
        if deadline is not None:
            delay = min(delay, max(deadline - self.breaker.clock(), 0.0) + 0.05)
        return delay

    def refusal(self) -> str:
        """Why the request was not sent, when it half-opens, how to reset the breaker."""
        return f"request not sent: {self.breaker.describe()}"

"""What a configuration mistake (``SecConfigError``: a 404 on the endpoint path, a host that
does not resolve, a proxy refusing our credentials) stopped in one client: how many requests
got that answer (those in flight when the first one came back) and how many were held back
unsent. Held-back requests store nothing: their hours are simply missing, and the next run asks
for them. A probe of a half-open breaker that meets the mistake gives its claim back: the
service said nothing, so the breaker records neither a success nor a failure.
"""

from __future__ import annotations

from sec_assets.sec_client.errors import SecConfigError
from sec_assets.sec_client.gate import BreakerGate


class ConfigStop:
    def __init__(self) -> None:
        self.answers = 0  # attempts answered with the mistake
        self.held_back = 0  # requests (or retries) stopped before sending

    def answered(self, gate: BreakerGate) -> None:
        self.answers += 1
        gate.release_probe()

    def held(self, gate: BreakerGate | None) -> None:
        self.held_back += 1
        if gate is not None:
            gate.release_probe()

    def summary(self, error: SecConfigError) -> str:
        return (
            f"sec_client stage=stop error={error.kind}: {error} — {self.answers} request(s) "
            f"in flight got this answer, {self.held_back} held back unsent (nothing stored for "
            "them: the next run asks for them)"
        )

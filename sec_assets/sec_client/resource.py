"""The SEC client as a Dagster resource.

Fields left unset are read from the environment (``SEC_*``, see ``settings.py``) when the run
starts, never at import time. Pass secrets (a proxy URL with a password) as ``dg.EnvVar``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar

from sec_assets.resource_settings import StoredResource
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets.sec_client.state import StateStore, open_state
from sec_assets.settings_report import field


class SecClientResource(StoredResource):
    """Polite, resilient access to the SEC service (or the simulator)."""

    base_url: str | None = field("base_url", "Service base URL.")
    http_proxy: str | None = field("http_proxy", "Proxy URL; a secret.", repr=False)
    max_concurrency: int | None = field("max_concurrency", "Requests in flight at once.")
    requests_per_second: float | None = field(
        "requests_per_second",
        "Attempts per second, shared by every process on the client state (data_dir or state_url).",
    )
    read_timeout_s: float | None = field("read_timeout_s", "Read timeout per request (s).")
    max_attempts: int | None = field("max_attempts", "Attempts per request (transient only).")
    backoff_initial_s: float | None = field("backoff_initial_s", "First backoff (s).")
    backoff_max_s: float | None = field("backoff_max_s", "Longest backoff (s).")
    retry_after_max_s: float | None = field("retry_after_max_s", "Longest Retry-After (s).")
    breaker_cooldown_s: float | None = field(
        "breaker_cooldown_s", "Open breaker's cooldown before a probe (s)."
    )
    max_body_bytes: int | None = field("max_body_bytes", "Largest answer read (bytes).")
    attempt_deadline_s: float | None = field(
        "attempt_deadline_s", "Total time one attempt may take (s)."
    )
    progress_interval_s: float | None = field(
        "progress_interval_s", "Seconds between INFO progress lines while fetching."
    )
    log_requests: bool | None = field(
        "log_requests", "One DEBUG line per successful request in the run's log."
    )
    state_url: str | None = field(
        "state_url",
        "Where the rate schedule, breaker and month locks live: postgresql://… or redis://… "
        "(shared by every machine); a secret.",
        repr=False,
    )

    REPORTED: ClassVar[tuple[str, ...]] = (
        "base_url",
        "http_proxy",
        "requests_per_second",
        "max_concurrency",
        "shared_rate_limit",
        "state_url",
        "max_attempts",
        "read_timeout_s",
        "data_dir",
    )

    def state(self) -> StateStore:
        """The client state store the settings name (``sec_client/state/``)."""
        return open_state(self.settings)

    def breaker(self) -> CircuitBreaker:
        s = self.settings
        return CircuitBreaker(
            self.state().breaker(),
            failure_threshold=s.breaker_failure_threshold,
            cooldown_s=s.breaker_cooldown_s,
            probe_timeout_s=s.probe_timeout_s,
        )

    @asynccontextmanager
    async def open(self, *, logger: logging.Logger | None = None) -> AsyncIterator[SecClient]:
        """An open client for one run's event loop (httpx pools are bound to a loop)."""
        async with SecClient(self.settings, self.breaker(), logger=logger) as client:
            yield client

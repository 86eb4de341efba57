"""The SEC client as a Dagster resource.

Fields left unset are read from the environment (``SEC_*``, see ``settings.py``) when the run
starts, never at import time. Pass secrets (a proxy URL with a password) as ``dg.EnvVar``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import Field

from sec_assets.resource_settings import SettingsResource
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient


class SecClientResource(SettingsResource):
    """Polite, resilient access to the SEC service (or the simulator)."""

    base_url: str | None = Field(default=None, description="Service base URL (SEC_BASE_URL).")
    http_proxy: str | None = Field(default=None, description="Proxy URL (SEC_HTTP_PROXY).")
    data_dir: str | None = Field(default=None, description="Where breaker state lives.")
    max_concurrency: int | None = None
    requests_per_second: float | None = None
    read_timeout_s: float | None = None
    max_attempts: int | None = None
    backoff_initial_s: float | None = None
    backoff_max_s: float | None = None
    retry_after_max_s: float | None = None
    breaker_cooldown_s: float | None = None
    max_body_bytes: int | None = None
    attempt_deadline_s: float | None = None
    progress_interval_s: float | None = None

    def breaker(self) -> CircuitBreaker:
        s = self.settings
        return CircuitBreaker(
            s.state_dir / "sec_breaker.json",
            failure_threshold=s.breaker_failure_threshold,
            cooldown_s=s.breaker_cooldown_s,
            probe_timeout_s=s.probe_timeout_s,
        )

    @asynccontextmanager
    async def open(self, *, logger: logging.Logger | None = None) -> AsyncIterator[SecClient]:
        """An open client for one run's event loop (httpx pools are bound to a loop)."""
        async with SecClient(self.settings, self.breaker(), logger=logger) as client:
            yield client

"""Async SEC client: browser-like POSTs, bounded concurrency, a rate shared across processes
and machines (``shared_limit.py``), retries on transient failures only, a persistent circuit
breaker, and every attempt kept for bronze. Each attempt is bounded in size and time and has
every secret masked (``send.py``); errors of ours and misconfigurations are never the
service's failures.

Pure Python (no Dagster): the resource in ``resource.py`` wires it to settings and logs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import urlsplit

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from sec_assets.month import LocalHour
from sec_assets.retry_after import retry_after_or_backoff
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.config_stop import ConfigStop
from sec_assets.sec_client.errors import (
    SecCircuitOpenError,
    SecConfigError,
    SecError,
    SecInternalError,
    SecSchemaError,
)
from sec_assets.sec_client.exchange import Attempt, FetchResult, _Exchange, redact_url
from sec_assets.sec_client.gate import BreakerGate
from sec_assets.sec_client.headers import BROWSER_HEADERS
from sec_assets.sec_client.proxy_check import warn_clear_proxy
from sec_assets.sec_client.send import Bounds, config_error, send_once
from sec_assets.sec_client.shared_limit import SharedRateLimiter
from sec_assets.sec_client.state import open_state
from sec_assets.sec_client.validation import SnapshotAnswer, validate_snapshot
from sec_assets.settings import SecSettings


class SecClient:
    """Use as ``async with SecClient(settings, breaker) as sec: await sec.fetch_snapshot(h)``."""

    def __init__(
        self,
        settings: SecSettings,
        breaker: CircuitBreaker,
        *,
        logger: logging.Logger | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        import httpx
        from aiolimiter import AsyncLimiter

        self.settings = settings
        self.breaker = breaker
        self.log = logger or logging.getLogger("sec_assets.sec_client")
        self.on_attempt = on_attempt
        self.sleep = sleep  # the backoff sleep; tests record it instead of waiting
        self.base_url = settings.base_url.rstrip("/")
        self._client: httpx.AsyncClient | None = None
        self._semaphore = asyncio.Semaphore(settings.max_concurrency)
        # Entered just before each send. Shared: the rate is the total of every process with
        # this client state store (parallel months, other machines); else this process's own.
        self._limiter: AbstractAsyncContextManager[None] = (
            SharedRateLimiter(open_state(settings).schedule(), settings.requests_per_second)
            if settings.shared_rate_limit
            else AsyncLimiter(max(settings.requests_per_second, 1e-3), 1.0)
        )
        self._wait = retry_after_or_backoff(
            initial_s=settings.backoff_initial_s,
            max_s=settings.backoff_max_s,
            retry_after_cap_s=settings.retry_after_max_s,
        )
        self._bounds = Bounds(
            settings.max_body_bytes, settings.attempt_deadline_s, settings.http_proxy is not None
        )
        self.redactor = settings.redactor  # every configured secret, by value
        # Set by the first configuration mistake seen (404, unresolvable host, bad scheme, 407
        # from the proxy): from then on no request is sent, queued ones included.
        self.config_error: SecConfigError | None = None
        self.stop = ConfigStop()

    async def __aenter__(self) -> SecClient:
        import httpx

        s = self.settings
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise config_error(
                f"the URL is not http(s): {redact_url(self.base_url)!r}",
                endpoint="sec_client",
                hour=None,
            )
        proxy = s.http_proxy.get_secret_value() if s.http_proxy else None
        if proxy is not None:
            warn_clear_proxy(proxy, self.log)
        self._client = httpx.AsyncClient(
            headers=BROWSER_HEADERS,
            timeout=httpx.Timeout(s.read_timeout_s, connect=s.connect_timeout_s),
            limits=httpx.Limits(max_connections=s.max_concurrency),
            proxy=proxy,
            follow_redirects=False,
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.config_error is not None:  # one line for the whole stop, not one per request
            self.log.error(self.redactor.text(self.stop.summary(self.config_error)))
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- endpoints ---------------------------------------------------------------------------
    async def fetch_snapshot(self, hour: LocalHour) -> FetchResult:
        """``GetPorFecha`` for one local hour; ``value`` is a :class:`SnapshotAnswer`."""

        def check(body: bytes) -> SnapshotAnswer:
            return validate_snapshot(body, hour=hour.key)

        return await self.call("GetPorFecha", hour.request_body, key=hour.key, validate=check)

    async def call(
        self,
        endpoint: str,
        body: dict[str, Any],
        *,
        key: str,
        validate: Callable[[bytes], Any],
    ) -> FetchResult:
        """POST ``body`` to ``endpoint`` with retries; returns the outcome, never raises."""
        result = FetchResult(endpoint=endpoint, key=key)
        hour = key if endpoint == "GetPorFecha" else None
        gate = BreakerGate(self.breaker, endpoint)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.settings.max_attempts),
                wait=self._wait,
                retry=retry_if_exception(lambda e: isinstance(e, SecError) and e.transient),
                reraise=True,
                sleep=self.sleep,
            ):
                with attempt:
                    n = attempt.retry_state.attempt_number
                    result.value = await self._attempt(
                        endpoint, body, key, hour, n, validate, result, gate
                    )
        except SecCircuitOpenError as exc:
            result.error = exc
            self._log(logging.WARNING, "skip", endpoint, key, error=exc.kind)
        except SecError as exc:
            result.error = exc
        except Exception as exc:  # never let one request's surprise stop the others
            result.error = SecInternalError(
                f"{type(exc).__name__}: {exc}", endpoint=endpoint, hour=hour
            )
            self._log(logging.ERROR, "internal", endpoint, key, error=result.error)
        return result

    # -- internals ---------------------------------------------------------------------------
    async def _attempt(
        self,
        endpoint: str,
        body: dict[str, Any],
        key: str,
        hour: str | None,
        n: int,
        validate: Callable[[bytes], Any],
        result: FetchResult,
        gate: BreakerGate,
    ) -> Any:
        assert self._client is not None, "use SecClient as an async context manager"
        self._hold_if_misconfigured()
        url = f"{self.base_url}/{endpoint}"
        # The breaker is asked when a slot is free, just before sending; a request that has to
        # wait for a half-open probe's verdict waits without holding a slot. A configuration
        # mistake seen while a request waited for its slot or its turn stops it there.
        while True:
            async with self._semaphore:
                self._hold_if_misconfigured()
                verdict = gate.verdict()
                if verdict == "go":
                    async with self._limiter:
                        self._hold_if_misconfigured(gate)
                        try:
                            value = await self._send(
                                url, endpoint, body, key, hour, n, validate, result
                            )
                        except (SecSchemaError, SecInternalError):
                            self.breaker.record_success(endpoint)  # it answered: not blocking us
                            raise
                        except SecConfigError as exc:  # ours: not the service's failure
                            self.stop.answered(gate)
                            self.config_error = self.config_error or exc
                            raise
                        except SecError as exc:
                            self.breaker.record_failure(f"{exc.kind}: {exc}", endpoint)
                            raise
                        self.breaker.record_success(endpoint)
                        return value
                if verdict == "open":
                    raise SecCircuitOpenError(gate.refusal(), endpoint=endpoint, hour=hour)
            await asyncio.sleep(gate.wait_s())  # read-only polling with backoff (gate.py)

    async def _send(
        self,
        url: str,
        endpoint: str,
        body: dict[str, Any],
        key: str,
        hour: str | None,
        n: int,
        validate: Callable[[bytes], Any],
        result: FetchResult,
    ) -> Any:
        assert self._client is not None
        ex = _Exchange(endpoint, url, body, key, n, hour)
        try:
            return await send_once(
                self._client, ex, bounds=self._bounds, redactor=self.redactor, validate=validate
            )
        except SecError:
            raise
        except Exception as exc:  # a bug of ours around the exchange: typed, never the service's
            err = SecInternalError(f"{type(exc).__name__}: {exc}", endpoint=endpoint, hour=hour)
            ex.failed(err, self.redactor)
            raise err from exc
        finally:
            self._emit(result, ex.finish())

    def _hold_if_misconfigured(self, gate: BreakerGate | None = None) -> None:
        """Raise the configuration mistake, if one was seen, instead of sending."""
        if self.config_error is not None:
            self.stop.held(gate)
            raise self.config_error

    def _emit(self, result: FetchResult, att: Attempt) -> None:
        result.attempts.append(att)
        # A configuration mistake is summed up in one line when the client closes.
        quiet = att.error is None or att.outcome == SecConfigError.kind
        if not quiet or self.settings.log_requests:  # a line per request only when asked
            self._log_attempt(logging.DEBUG if quiet else logging.WARNING, att)
        if self.on_attempt is not None:
            self.on_attempt(att)

    def _log_attempt(self, level: int, att: Attempt) -> None:
        self._log(
            level,
            "fetch",
            att.endpoint,
            att.key,
            attempt=att.attempt,
            status=att.http_status,
            outcome=att.outcome,
            latency_ms=round(att.latency_ms),
            error=att.error,
        )

    def _log(self, level: int, stage: str, endpoint: str, key: str, **fields: object) -> None:
        parts = [f"stage={stage}", f"endpoint={endpoint}", f"key={key}"]
        parts += [f"{k}={v}" for k, v in fields.items() if v is not None]
        self.log.log(level, self.redactor.text("sec_client " + " ".join(parts)))

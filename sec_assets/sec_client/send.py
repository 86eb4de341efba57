"""One HTTP attempt, bounded: the answer is streamed and cut at ``max_body_bytes``, the whole
exchange must end within ``attempt_deadline_s``, every secret is masked before anything is kept,
and whatever goes wrong ends as a typed :class:`SecError` on the attempt.

A mistake of ours (a 404 on the endpoint path, a host that does not resolve, a URL that is not
http(s), a proxy refusing our credentials with 407) is a :class:`SecConfigError`; an unexpected
exception while we process an answer is a :class:`SecInternalError`. Neither is the service's
failure.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sec_assets.retry_after import retry_after_header
from sec_assets.sec_client.errors import (
    SecBodyTooLargeError,
    SecConfigError,
    SecDeadlineError,
    SecError,
    SecHttpError,
    SecInternalError,
    SecTransportError,
)
from sec_assets.sec_client.exchange import _Exchange
from sec_assets.secrets.redactor import Redactor

if TYPE_CHECKING:
    import httpx

BASE_URL_HINT = "check SEC_BASE_URL"
PROXY_HINT = "check SEC_HTTP_PROXY"


@dataclass(frozen=True)
class Bounds:
    max_body_bytes: int
    deadline_s: float
    proxied: bool = False  # through SEC_HTTP_PROXY: a name that does not resolve is the proxy's


def config_error(
    message: str, *, endpoint: str, hour: str | None, hint: str = BASE_URL_HINT
) -> SecConfigError:
    return SecConfigError(f"{message}; {hint}", endpoint=endpoint, hour=hour)


def _proxy_refused(exc: BaseException) -> bool:
    """httpx's ProxyError for a CONNECT answered ``407 Proxy Authentication Required``, or a
    SOCKS proxy refusing the user and password."""
    import httpx

    text = str(exc)
    return isinstance(exc, httpx.ProxyError) and (
        text.startswith("407") or "Invalid username/password" in text
    )


def _resolution_failed(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _read_capped(response: httpx.Response, ex: _Exchange, limit: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise SecBodyTooLargeError(
            f"answer declares {int(declared):,} bytes, above SEC_MAX_BODY_BYTES={limit:,}",
            endpoint=ex.endpoint,
            hour=ex.hour,
            status=response.status_code,
        )
    async for chunk in response.aiter_bytes():
        ex.received += chunk
        if len(ex.received) > limit:
            raise SecBodyTooLargeError(
                f"answer above SEC_MAX_BODY_BYTES={limit:,} bytes: read stopped there",
                endpoint=ex.endpoint,
                hour=ex.hour,
                status=response.status_code,
            )


async def send_once(
    client: httpx.AsyncClient,
    ex: _Exchange,
    *,
    bounds: Bounds,
    redactor: Redactor,
    validate: Callable[[bytes], Any],
) -> Any:
    """POST ``ex.body`` to ``ex.raw_url``; the validated value, or a typed error (recorded on
    ``ex``)."""
    import httpx

    endpoint, hour = ex.endpoint, ex.hour
    try:
        try:
            async with asyncio.timeout(bounds.deadline_s):
                async with client.stream("POST", ex.raw_url, json=ex.body) as response:
                    ex.answered(response, redactor)
                    retry_after = retry_after_header(response.headers)
                    await _read_capped(response, ex, bounds.max_body_bytes)
        except TimeoutError as exc:
            raise SecDeadlineError(
                f"no complete answer within SEC_ATTEMPT_DEADLINE_S={bounds.deadline_s:g} s "
                f"({len(ex.received):,} bytes received)",
                endpoint=endpoint,
                hour=hour,
                status=ex.status,
            ) from exc
        except httpx.UnsupportedProtocol as exc:
            raise config_error(
                f"the URL is not http(s): {exc}", endpoint=endpoint, hour=hour
            ) from exc
        except httpx.HTTPError as exc:
            if _proxy_refused(exc):
                raise config_error(
                    "the proxy refuses our credentials (407)",
                    endpoint=endpoint,
                    hour=hour,
                    hint=PROXY_HINT,
                ) from exc
            if _resolution_failed(exc):
                raise config_error(
                    f"the host does not resolve ({type(exc).__name__})",
                    endpoint=endpoint,
                    hour=hour,
                    hint=PROXY_HINT if bounds.proxied else BASE_URL_HINT,
                ) from exc
            message = redactor.text(f"{type(exc).__name__}: {exc}")
            raise SecTransportError(message, endpoint=endpoint, hour=hour) from exc
        content = ex.keep_body(redactor)
        status = ex.status or 0
        if status == 404:
            raise config_error(
                f"HTTP 404 at {ex.url}: the service has no such endpoint",
                endpoint=endpoint,
                hour=hour,
            )
        if status == 407:
            raise config_error(
                "HTTP 407: the proxy refuses our credentials",
                endpoint=endpoint,
                hour=hour,
                hint=PROXY_HINT,
            )
        if not 200 <= status < 300:
            raise SecHttpError(
                f"HTTP {status}",
                endpoint=endpoint,
                hour=hour,
                status=status,
                body=content,
                retry_after_s=retry_after,
            )
        try:
            value = validate(content)
        except SecError:
            raise
        except Exception as exc:  # ours, not the service's: typed, stored, counted
            raise SecInternalError(
                f"processing the answer failed: {type(exc).__name__}: {exc}",
                endpoint=endpoint,
                hour=hour,
                body=content,
            ) from exc
        ex.validated(value)
        return value
    except (SecBodyTooLargeError, SecDeadlineError) as exc:
        ex.cut_short(exc.kind, _limit(exc, bounds), redactor)
        ex.failed(exc, redactor)
        raise
    except SecError as exc:
        ex.failed(exc, redactor)
        raise


def _limit(exc: SecError, bounds: Bounds) -> float:
    return bounds.max_body_bytes if isinstance(exc, SecBodyTooLargeError) else bounds.deadline_s

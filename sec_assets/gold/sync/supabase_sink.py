"""Upserts dashboard rows into Supabase through supabase-py, with our own retry policy.

supabase-py (postgrest-py) turns a non-2xx answer into an ``APIError`` that carries PostgREST's
error code but not the HTTP status, so the wrapper owns the httpx client and reads the status
from a response hook. postgrest-py's own retry (GET/HEAD only) is turned off: ours decides.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tenacity import RetryCallState

from sec_assets.cleartext import LOOPBACK_HOSTS, tls_or_loopback
from sec_assets.gold.sync.errors import (
    DashboardConfigError,
    DashboardHttpError,
    DashboardSinkError,
    DashboardTransportError,
    redact,
)
from sec_assets.gold.sync.report import Target
from sec_assets.gold.sync.retry import RetryPolicy
from sec_assets.retry_after import retry_after_header

if TYPE_CHECKING:
    import httpx
    from postgrest.exceptions import APIError
    from supabase import Client

TABLE = "dashboard_stats"
SNIPPET_CHARS = 200


def redact_supabase_url(url: str, table: str = TABLE) -> str:
    """The table's REST endpoint without credentials, query or fragment."""
    parts = urlsplit(url.strip())
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/") + f"/rest/v1/{table}"
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def require_tls(url: str) -> None:
    """Refuse a ``SUPABASE_URL`` over which the service-role key would travel in clear."""
    if not tls_or_loopback(url):
        raise DashboardConfigError(
            f"SUPABASE_URL must be an https:// URL: it carries the service-role key, and plain "
            f"http is accepted only for a loopback host ({LOOPBACK_HOSTS}); got "
            f"{_shown(url)!r}. Nothing was sent."
        )


def _shown(url: str) -> str:
    """The URL without credentials, query or fragment, for an error message."""
    try:
        return redact_supabase_url(url).removesuffix(f"/rest/v1/{TABLE}")
    except ValueError:  # an unparsable port or netloc
        return "<unparsable URL>"


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"


class SupabaseSink:
    """``write(row)`` upserts one ``{"id", "data", "updated_at"}`` row (``on_conflict=id``).

    Raises :class:`DashboardConfigError` at construction for a URL that is neither https nor
    loopback: the key never leaves in clear."""

    target: Target = "supabase"

    def __init__(
        self,
        url: str,
        service_role_key: str,
        *,
        table: str = TABLE,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        import httpx

        require_tls(url)  # before anything can be sent
        self._url = url
        self._key = service_role_key
        self.table = table
        self.retry = retry or RetryPolicy()
        self.log = logger or logging.getLogger(__name__)
        self._sleep = sleep
        self._timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self._http: httpx.Client | None = None
        self._client: Client | None = None
        self._last_response: httpx.Response | None = None

    @property
    def location(self) -> str:
        return redact_supabase_url(self._url, self.table)

    def __repr__(self) -> str:
        return f"SupabaseSink(location={self.location!r}, service_role_key='***')"

    def write(self, row: dict[str, Any]) -> None:
        """Upsert with retries on transient failures; raises :class:`DashboardSinkError`."""
        payload_id = row["id"]
        for attempt in self.retry.retrying(sleep=self._sleep, before_sleep=self._log_retry):
            with attempt:
                self._upsert_once(payload_id, row)

    def prune(self, keep: set[str]) -> list[str]:
        """Delete the rows whose id is not in ``keep`` (``DELETE …?id=not.in.(…)``), with the
        same retries; returns the ids deleted."""
        deleted: list[str] = []
        for attempt in self.retry.retrying(sleep=self._sleep, before_sleep=self._log_retry):
            with attempt:
                deleted = self._prune_once(sorted(keep))
        return deleted

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self._http = None
        self._client = None

    # -- internals ---------------------------------------------------------------------------
    def _open(self, payload_id: str) -> Client:
        import httpx
        from supabase import create_client
        from supabase.lib.client_options import SyncClientOptions

        if self._client is not None:
            return self._client
        http = httpx.Client(
            timeout=self._timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
            event_hooks={"response": [self._remember]},
        )
        options = SyncClientOptions(
            httpx_client=http,
            postgrest_client_retry=False,
            auto_refresh_token=False,
            persist_session=False,
        )
        error: str | None = None
        try:
            self._client = create_client(self._url, self._key, options)
        except Exception as exc:  # supabase raises SupabaseException("Invalid URL") and friends
            error = f"cannot create the Supabase client: {type(exc).__name__}: {exc}"
        if error is not None:
            http.close()
            raise DashboardSinkError(payload_id, redact(error, self._key))
        self._http = http
        assert self._client is not None
        return self._client

    def _remember(self, response: httpx.Response) -> None:
        self._last_response = response

    def _upsert_once(self, payload_id: str, row: dict[str, Any]) -> None:
        import httpx
        from postgrest.exceptions import APIError
        from postgrest.types import ReturnMethod

        client = self._open(payload_id)
        self._last_response = None
        failure: DashboardSinkError | None = None
        try:
            client.table(self.table).upsert(
                row, on_conflict="id", returning=ReturnMethod.minimal
            ).execute()
        except APIError as exc:
            failure = self._http_error(payload_id, exc)
        except httpx.TimeoutException as exc:
            failure = DashboardTransportError(payload_id, f"timeout ({type(exc).__name__})")
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            failure = DashboardSinkError(payload_id, self._describe(exc))
        except httpx.TransportError as exc:
            failure = DashboardTransportError(
                payload_id, f"connection error: {self._describe(exc)}"
            )
        if failure is not None:
            raise failure  # raised outside the handler: no chained exception to leak

    def _prune_once(self, keep: list[str]) -> list[str]:
        import httpx
        from postgrest.exceptions import APIError
        from postgrest.types import ReturnMethod

        label = "<prune>"
        client = self._open(label)
        self._last_response = None
        failure: DashboardSinkError | None = None
        rows: list[Any] = []
        try:
            query = client.table(self.table).delete(returning=ReturnMethod.representation)
            query = query.not_.in_("id", keep) if keep else query.neq("id", "")
            rows = query.execute().data or []
        except APIError as exc:
            failure = self._http_error(label, exc)
        except httpx.TimeoutException as exc:
            failure = DashboardTransportError(label, f"timeout ({type(exc).__name__})")
        except httpx.TransportError as exc:
            failure = DashboardTransportError(label, f"connection error: {self._describe(exc)}")
        if failure is not None:
            raise failure
        return [str(r["id"]) for r in rows if isinstance(r, dict) and "id" in r]

    def _http_error(self, payload_id: str, exc: APIError) -> DashboardSinkError:
        response = self._last_response
        status = response.status_code if response is not None else None
        parts = [p for p in (exc.code, exc.message) if p and p != str(status)]
        if exc.details:
            parts.append(_snippet(str(exc.details)))
        if exc.hint:
            parts.append(f"hint: {exc.hint}")
        detail = redact(" — ".join(str(p) for p in parts) or "no detail", self._key)
        if response is None or status is None:
            return DashboardSinkError(payload_id, f"PostgREST error: {detail}")
        return DashboardHttpError(
            payload_id,
            status,
            detail,
            retry_after_s=retry_after_header(response.headers),
        )

    def _describe(self, exc: BaseException) -> str:
        text = str(exc)
        return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, self._key)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        self.log.warning(
            "dashboard_stats: %s; retry %d/%d in %.2fs",
            exc,
            state.attempt_number + 1,
            self.retry.max_attempts,
            wait,
        )

"""What one request to the SEC left behind: each attempt as it happened (``Attempt``, which
bronze stores), the request's outcome (``FetchResult``), and the builder that freezes an
attempt whatever way it ends (``_Exchange``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sec_assets.sec_client.errors import SecError
from sec_assets.sec_client.validation import SnapshotAnswer
from sec_assets.secrets.echo import mask_answer
from sec_assets.secrets.redactor import Redactor

if TYPE_CHECKING:
    import httpx

KEPT_HEADERS = ("content-type", "date", "retry-after", "server", "content-length")
CUT_KEEP_BYTES = 64 * 1024  # what is kept of an answer cut for its size or its deadline


def redact_url(url: str) -> str:
    """Drop user:password from a URL before it is logged or stored: everything up to the
    authority's last '@' (a password may hold an unencoded '@', '#', '?' or '/')."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        userinfo, _, after = rest.rpartition("@")
        if "@" not in after.split("/", 1)[0] and userinfo:
            return f"{scheme}://***@{after}"
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@dataclass(frozen=True)
class Attempt:
    """One HTTP exchange (or failed try), exactly as it happened."""

    endpoint: str
    url: str
    request_body: dict[str, Any]
    key: str
    attempt: int
    fetched_at: datetime
    latency_ms: float
    http_status: int | None
    headers: dict[str, str]
    body: bytes | None
    outcome: (
        str  # ok | empty | http_NNN | transport_error | invalid_body | schema_error | wrong_date …
    )
    error: str | None = None
    era: str | None = None  # current | legacy | empty, for a valid GetPorFecha answer
    fingerprint: str | None = None
    rows: int | None = None
    customers: int | None = None
    # Set when the body was cut (size cap or deadline): reason, bytes received and kept, limit.
    body_cut: dict[str, Any] | None = None
    # Spellings of a configured secret masked in the body, headers and error (an echo).
    secret_echoed: int = 0


@dataclass
class FetchResult:
    """All attempts for one request key, and the validated value if one succeeded."""

    endpoint: str
    key: str
    attempts: list[Attempt] = field(default_factory=list)
    value: Any = None
    error: SecError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Exchange:
    """Collects what one attempt saw, whatever way it ends, and freezes it as an Attempt."""

    def __init__(
        self, endpoint: str, url: str, body: dict[str, Any], key: str, n: int, hour: str | None
    ) -> None:
        self.endpoint, self.body, self.key, self.n, self.hour = endpoint, body, key, n, hour
        self.raw_url, self.url = url, redact_url(url)  # only the redacted one is kept
        self.fetched_at = datetime.now(UTC)
        self.t0 = time.perf_counter()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.content: bytes | None = None
        self.outcome = "transport_error"
        self.error: str | None = None
        self.summary: dict[str, Any] = {}
        self.received = bytearray()  # the body as it streams in
        self.cut: dict[str, Any] | None = None
        self.secret_echoed = 0

    def answered(self, response: httpx.Response, redactor: Redactor) -> None:
        """The status line and kept headers (secrets masked) of a streamed answer."""
        self.status = response.status_code
        self.headers = {}
        for k in KEPT_HEADERS:
            if v := response.headers.get(k):
                self.headers[k], found = redactor.text_counted(v)
                self.secret_echoed += found

    def keep_body(self, redactor: Redactor, *, cut: bool = False) -> bytes:
        """The body as bronze keeps it: every secret masked (``secrets/echo.py``), counted."""
        received = self.received[:CUT_KEEP_BYTES] if cut else self.received
        masked = mask_answer(bytes(received), redactor, cut=cut)
        self.secret_echoed += masked.secret_echoed
        self.content = masked.body
        return masked.body

    def cut_short(self, reason: str, limit: float, redactor: Redactor) -> None:
        """Keep the head of a body that was cut (too large, too slow) and record the cut."""
        received = len(self.received)
        self.keep_body(redactor, cut=True)
        assert self.content is not None
        self.cut = {
            "reason": reason,
            "limit": limit,
            "bytes_received": received,
            "bytes_kept": len(self.content),
            "elapsed_s": round(time.perf_counter() - self.t0, 3),
        }

    def validated(self, value: Any) -> None:
        self.outcome = "empty" if value is None else "ok"
        if isinstance(value, SnapshotAnswer):
            self.outcome = "empty" if value.era == "empty" else "ok"
            self.summary = {
                "era": value.era,
                "fingerprint": value.fingerprint,
                "rows": len(value.rows),
                "customers": value.customers,
            }

    def failed(self, exc: SecError, redactor: Redactor) -> None:
        self.outcome = exc.kind
        self.error, found = redactor.text_counted(str(exc))
        self.secret_echoed += found

    def finish(self) -> Attempt:
        latency_ms = round((time.perf_counter() - self.t0) * 1000, 1)
        return Attempt(
            self.endpoint,
            self.url,
            self.body,
            self.key,
            self.n,
            self.fetched_at,
            latency_ms,
            self.status,
            self.headers,
            self.content,
            self.outcome,
            self.error,
            **self.summary,
            body_cut=self.cut,
            secret_echoed=self.secret_echoed,
        )

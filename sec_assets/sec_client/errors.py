"""Typed errors of the SEC client. Each names the endpoint, the hour and a snippet of the body."""

from __future__ import annotations

import re

SNIPPET_CHARS = 160
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def snippet(body: bytes | str | None, limit: int = SNIPPET_CHARS) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(_CONTROL.sub(" ", text).split())  # no NUL or other control character
    return text if len(text) <= limit else text[:limit] + "…"


class SecError(Exception):
    """Base class. ``kind`` is a stable machine-readable code used in logs and bronze."""

    kind = "sec_error"
    transient = False

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        hour: str | None = None,
        status: int | None = None,
        body: bytes | str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.hour = hour
        self.status = status
        self.snippet = snippet(body)
        where = endpoint + (f" hour={hour}" if hour else "")
        detail = f" status={status}" if status is not None else ""
        tail = f": {self.snippet!r}" if self.snippet else ""
        super().__init__(f"{where}{detail}: {message}{tail}")


class SecHttpError(SecError):
    """A non-2xx answer. 5xx and 429 are transient; other 4xx are not (403 is a block)."""

    kind = "http_error"

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after_s = retry_after_s
        self.kind = f"http_{self.status}"
        self.transient = self.status is not None and (self.status >= 500 or self.status == 429)


class SecTransportError(SecError):
    """Timeout, connection refused or reset, protocol error: transient."""

    kind = "transport_error"
    transient = True


class SecInvalidBodyError(SecError):
    """A 2xx body that is not JSON (an HTML error page, a truncated answer).

    Treated as transient: it is what a proxy hiccup or a cut connection looks like.
    """

    kind = "invalid_body"
    transient = True


class SecSchemaError(SecError):
    """Well-formed JSON of a shape the service does not send (drift): not retried."""

    kind = "schema_error"


class SecWrongDateError(SecSchemaError):
    """A valid answer for another date than the hour asked (an outage that starts after it):
    stored as ``wrong_date``, not retried in the run, asked again by the next run."""

    kind = "wrong_date"


class SecCircuitOpenError(SecError):
    """The circuit breaker refuses requests: the service has been failing; nothing was sent."""

    kind = "circuit_open"


class SecBodyTooLargeError(SecError):
    """The answer grew past ``max_body_bytes``: the read stopped there (transient)."""

    kind = "body_too_large"
    transient = True


class SecDeadlineError(SecError):
    """The attempt took longer than ``attempt_deadline_s`` in total (a slow drip): transient."""

    kind = "deadline_exceeded"
    transient = True


class SecConfigError(SecError):
    """Our configuration is wrong (a 404 on the endpoint path, a host that does not resolve, a
    URL that is not http(s), a proxy refusing our credentials): not the service's failure,
    never retried, never counted by the breaker; the client sends nothing more (queued requests
    included, ``config_stop.py``) and the run stops with one message naming ``SEC_BASE_URL`` (or
    ``SEC_HTTP_PROXY``)."""

    kind = "config_error"


class SecInternalError(SecError):
    """An unexpected exception in our own processing of an answer: stored and counted for its
    hour, never retried, never a failure of the service."""

    kind = "internal_error"

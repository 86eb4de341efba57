"""Typed errors of the dashboard sink. Messages name the payload id, never a secret."""

from __future__ import annotations

import re

# JWTs (legacy service_role keys) and the newer opaque secret keys.
_KEYLIKE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*|sb_secret_[\w-]+")


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with each given secret, and anything shaped like a Supabase key, as ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _KEYLIKE.sub("***", text)


class DashboardSinkError(Exception):
    """One payload could not be published. ``transient`` errors are worth retrying."""

    transient = False

    def __init__(self, payload_id: str, message: str) -> None:
        self.payload_id = payload_id
        self.reason = message
        super().__init__(f"payload {payload_id!r}: {message}")


class DashboardHttpError(DashboardSinkError):
    """A non-2xx answer: 5xx, 429 and 408 are transient, other 4xx are not."""

    def __init__(
        self,
        payload_id: str,
        status: int,
        detail: str,
        *,
        retry_after_s: float | None = None,
    ) -> None:
        self.status = status
        self.retry_after_s = retry_after_s
        self.transient = status >= 500 or status in (408, 429)
        super().__init__(payload_id, f"HTTP {status}: {detail}")


class DashboardTransportError(DashboardSinkError):
    """Timeout, refused or reset connection, protocol error: transient."""

    transient = True


class DashboardConfigError(ValueError):
    """``SUPABASE_URL`` cannot carry the service-role key (not https, and not loopback):
    raised before any request, once for the whole publication."""


class DashboardPublishError(RuntimeError):
    """Raised by :meth:`PublishReport.raise_for_failures`: lists every failed payload id."""

    def __init__(self, target: str, location: str, failed: dict[str, str], published: int) -> None:
        self.failed = dict(failed)
        ids = ", ".join(sorted(failed))
        lines = [f"  {pid}: {failed[pid]}" for pid in sorted(failed)]
        super().__init__(
            f"{len(failed)} dashboard payload(s) failed to publish to {target} ({location}): "
            f"{ids}; {published} published\n" + "\n".join(lines)
        )

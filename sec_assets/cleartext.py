"""Credentials travel only over TLS: a plain-HTTP endpoint that carries a key or a password is
accepted only when its host is this machine (127.0.0.0/8, ::1, ``localhost``), where nothing
crosses a network. The Supabase sink refuses such a URL; the SEC client warns about a proxy
password sent in clear (see ``sec_client/client.py``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_HOSTS = "127.0.0.0/8, ::1, localhost"


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and any loopback address, IPv4 or IPv6 (brackets allowed)."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).hostname
    except ValueError:  # e.g. an unbalanced "[" in the netloc
        return None


def scheme_of(url: str) -> str:
    return urlsplit(url.strip()).scheme.lower()


def tls_or_loopback(url: str) -> bool:
    """Whether a credential may be sent to ``url``: https, or a loopback host."""
    return scheme_of(url) == "https" or is_loopback(host_of(url))


def sends_credentials_in_clear(url: str) -> bool:
    """A URL with ``user:password`` (or a user) whose scheme is not https, to another host."""
    try:
        parts = urlsplit(url.strip())
        has_credentials = bool(parts.username or parts.password)
    except ValueError:
        return False
    return has_credentials and not tls_or_loopback(url)

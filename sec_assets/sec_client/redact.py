"""Redaction of every configured secret from what the client stores or logs.

A proxy's error page can echo the request's headers: ``Proxy-Authorization: Basic <base64 of
user:password>``, or the proxy URL itself, URL-encoded. So each secret (the proxy's password and
``user:password``, the Postgres DSN's passwords, the Supabase key) is masked in its raw form, its
URL-encoded forms and its base64 forms — at any alignment inside a longer base64 text — before an
answer's body, headers or an error message is stored in bronze or logged.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, urlsplit

from sec_assets.settings import SecSettings
from sec_assets.warehouse.dsn import passwords_in

MASK = "***"
MIN_SECRET_CHARS = 4  # shorter strings would mask ordinary text


def _base64_forms(secret: bytes) -> set[str]:
    """The base64 characters that only ``secret`` determines, for each of the three alignments
    it can have inside a longer base64 text (plus its standalone encoding)."""
    forms = {base64.b64encode(secret).decode("ascii")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii").rstrip("=")
        start = 4 if offset else 0  # the first group mixes in the prefix
        tail = (offset + len(secret)) % 3
        end = len(encoded) - (tail + 1 if tail else 0)  # the last group mixes in what follows
        stable = encoded[start:end]
        if len(stable) >= 8:
            forms.add(stable)
    return forms


def _forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret, safe="").lower()}
    forms |= _base64_forms(secret.encode("utf-8"))
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


class Redactor:
    """Masks a fixed set of secrets (and their encoded forms) in text and bytes."""

    def __init__(self, secrets: Iterable[str]) -> None:
        found: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_CHARS:
                found |= _forms(secret)
        # Longest first: a form that contains another is masked whole.
        self._text = sorted(found, key=len, reverse=True)
        self._bytes = [f.encode("utf-8") for f in self._text]

    def __bool__(self) -> bool:
        return bool(self._text)

    def __repr__(self) -> str:
        return f"Redactor({len(self._text)} forms)"

    def text(self, value: str) -> str:
        for form in self._text:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def bytes(self, value: bytes) -> bytes:
        for form in self._bytes:
            if form in value:
                value = value.replace(form, MASK.encode())
        return value

    @classmethod
    def from_settings(cls, settings: SecSettings) -> Redactor:
        return cls(configured_secrets(settings))


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    out = [url]
    if parts.password:
        password = unquote(parts.password)
        user = unquote(parts.username or "")
        out += [parts.password, password, f"{user}:{password}"]
    return out


def configured_secrets(settings: SecSettings) -> list[str]:
    """Every secret the settings hold: the proxy URL and its credentials, the DSN's passwords,
    the Supabase key."""
    secrets: list[str] = []
    if settings.http_proxy is not None:
        secrets += _url_secrets(settings.http_proxy.get_secret_value())
    if settings.pg_dsn is not None:
        secrets += passwords_in(settings.pg_dsn.get_secret_value())
    if settings.supabase_service_role_key is not None:
        secrets.append(settings.supabase_service_role_key.get_secret_value())
    return secrets

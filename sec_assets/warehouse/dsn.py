"""Redaction of Postgres connection strings: the password never reaches a message or a log;
and which hosts a DSN's password would reach without TLS (warned about, never shown)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from sec_assets.cleartext import is_loopback

MASK = "***"

# postgresql://user:password@host/db → the password part of the URL authority.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>[^@/?#\s]*)(?=@)", re.I
)
# password=secret in a key=value string or in a URL query (quoted values included).
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s&]*)", re.I)


def passwords_in(dsn: str) -> list[str]:
    """Every password spelled in ``dsn`` (raw and URL-decoded), longest first."""
    found: set[str] = set()
    for pattern in (_URL_PASSWORD, _KV_PASSWORD):
        for match in pattern.finditer(dsn):
            pw = match.group("pw").strip("'")
            if pw:
                found.update({pw, unquote(pw)})
    return sorted(found, key=len, reverse=True)


def redact_dsn(dsn: str) -> str:
    """``postgresql://user:***@host/db``: the DSN with every password replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, dsn)
    return _KV_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


def redact_text(text: str, dsn: str) -> str:
    """``text`` (an error message) with the DSN's passwords and any DSN-shaped secret masked."""
    for pw in passwords_in(dsn):
        text = text.replace(pw, MASK)
    return redact_dsn(text)


TLS_SSLMODES = ("require", "verify-ca", "verify-full")


def clear_password_hosts(dsn: str, env_sslmode: str | None = None) -> list[str]:
    """The hosts of ``dsn`` its password may reach without TLS: not loopback, not a Unix
    socket, and an sslmode (from the DSN, else ``PGSSLMODE``) that does not require TLS
    (libpq's default, ``prefer``, falls back to plain text). Empty when there is no password."""
    from psycopg.conninfo import conninfo_to_dict  # here: the SEC client imports this module

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN fails at connect time, with its own message
        return []
    if not params.get("password"):
        return []
    sslmode = str(params.get("sslmode") or env_sslmode or "prefer").lower()
    if sslmode in TLS_SSLMODES:
        return []
    hosts = str(params.get("hostaddr") or params.get("host") or "").split(",")
    return [h for h in hosts if h and not h.startswith("/") and not is_loopback(h)]

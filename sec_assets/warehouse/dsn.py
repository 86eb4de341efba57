"""Postgres connection strings: the secrets they hold, and a form fit to show.

The secrets are read as libpq reads the DSN (``psycopg.conninfo.conninfo_to_dict``), and also as
a person meant it: libpq ends a URL's user:password at the first ``@`` or ``/``, so a password
with an unencoded ``@`` or ``/`` is read as part of the host, port or database name. Both
readings' passwords, the ``user:password`` pairs, the password as spelled in the DSN (quoted,
backslash- or percent-escaped) and, where the readings differ, the values libpq cut out of the
password are all secrets (``secrets/redactor.py`` masks them by value). Also: which hosts a DSN's
password would reach without TLS (warned about, never shown).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from sec_assets.cleartext import is_loopback
from sec_assets.secrets.redactor import MASK, Redactor

_SCHEME = re.compile(r"^\s*(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<rest>.*)$", re.I | re.S)
# After the last '@' of a URL comes the host list: no '@', '/' or '?' in it.
_USERINFO = re.compile(r"^(?P<userinfo>.*)@(?P<after>[^@/?]*(?:[/?].*)?)$", re.S)
# password=secret in a key=value string: quoted (backslash escapes) or up to a blank.
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)+)")
# password=secret in a URL's query.
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<pw>[^&]*)", re.I)
_LIBPQ_PARTS = ("host", "hostaddr", "port", "dbname", "user")


def _userinfo(dsn: str) -> tuple[str, str] | None:
    """(user, password) as written in a URL, read up to the last '@' before the host."""
    url = _SCHEME.match(dsn)
    if not url:
        return None
    found = _USERINFO.match(url.group("rest"))
    if not found or ":" not in found.group("userinfo"):
        return None
    user, _, password = found.group("userinfo").partition(":")
    return user, password


def conninfo_to_dict(dsn: str) -> dict[str, Any]:
    """libpq's reading of ``dsn`` (psycopg imported here: the SEC client imports this module)."""
    from psycopg.conninfo import conninfo_to_dict as parse

    return parse(dsn)


def _libpq(dsn: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    except Exception:  # unparsable: the other readings still find the password
        return {}


def _written(dsn: str) -> set[str]:
    """The password as the DSN spells it, and its unescaped value."""
    out: set[str] = set()
    if _SCHEME.match(dsn):
        out.update(m.group("pw") for m in _QUERY_PASSWORD.finditer(dsn))
    else:
        for m in _KV_PASSWORD.finditer(dsn):
            raw = m.group("pw")
            inner = raw[1:-1] if raw.startswith("'") and raw.endswith("'") else raw
            out |= {inner, re.sub(r"\\(.)", r"\1", inner)}
    return out | {unquote(p) for p in out}


def dsn_secrets(dsn: str, *, pairs: bool = True) -> list[str]:
    """Every secret ``dsn`` holds (see the module's docstring), longest first; ``pairs``: with
    the ``user:password`` pairs."""
    parts = _libpq(dsn)
    found = _written(dsn)
    if parts.get("password"):
        found.add(parts["password"])
        if parts.get("user") and pairs:
            found.add(f"{parts['user']}:{parts['password']}")
    meant = _userinfo(dsn)
    if meant and meant[1]:
        user, password = meant
        found |= {password, unquote(password)}
        if pairs:
            found |= {f"{user}:{password}", f"{unquote(user)}:{unquote(password)}"}
        if unquote(password) != parts.get("password"):
            pieces = [p for p in re.split(r"[@/?#:]", unquote(password)) if p]
            found |= {
                value
                for key in _LIBPQ_PARTS
                if (value := parts.get(key)) and any(p in value for p in pieces)
            }
    return sorted((s for s in found if s), key=lambda s: (-len(s), s))


def redact_dsn(dsn: str) -> str:
    """The DSN with every secret it holds masked: ``postgresql://user:***@host/db``; a password
    too short to mask by value is masked by position."""
    text = Redactor(dsn_secrets(dsn, pairs=False)).text(dsn)
    meant, url = _userinfo(text), _SCHEME.match(text)
    if url and meant and meant[1] and meant[1] != MASK:
        user, rest = meant[0], url.group("rest")[len(meant[0]) + 1 + len(meant[1]) :]
        text = f"{url.group('scheme')}{user}:{MASK}{rest}"
    text = _QUERY_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    if not _SCHEME.match(text):
        text = _KV_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return text


def redact_text(text: str, dsn: str) -> str:
    """``text`` (an error message) with every secret of the DSN masked."""
    return Redactor(dsn_secrets(dsn)).text(text)


def misread(dsn: str) -> str | None:
    """Why libpq cannot be trusted to quote this DSN safely (it cannot parse it, or reads the
    URL's password otherwise than written), else None. The driver's message about such a DSN
    quotes pieces of it, the password's among them: it is not shown."""
    try:
        parts = {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    except Exception:
        return "libpq cannot parse the DSN"
    meant = _userinfo(dsn)
    if meant and meant[1] and unquote(meant[1]) != parts.get("password"):
        return (
            "libpq misreads the URL: its password holds an unencoded '@' or '/'; "
            "percent-encode them (%40, %2F)"
        )
    return None


def describe_dsn(dsn: str) -> str:
    """Where the DSN points, without user or password: ``host:port/dbname`` as libpq reads it;
    for a DSN libpq misreads, nothing of it."""
    if misread(dsn):
        return "the DSN in SEC_PG_DSN (not shown: libpq misreads it)"
    parts = _libpq(dsn)
    where = f"{parts.get('host') or parts.get('hostaddr') or 'localhost'}"
    where += f":{parts['port']}" if parts.get("port") else ""
    where += f"/{parts['dbname']}" if parts.get("dbname") else ""
    return Redactor(dsn_secrets(dsn)).text(where)


TLS_SSLMODES = ("require", "verify-ca", "verify-full")


def clear_password_hosts(dsn: str, env_sslmode: str | None = None) -> list[str]:
    """The hosts of ``dsn`` its password may reach without TLS: not loopback, not a Unix
    socket, and an sslmode (from the DSN, else ``PGSSLMODE``) that does not require TLS
    (libpq's default, ``prefer``, falls back to plain text). Empty when there is no password."""
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

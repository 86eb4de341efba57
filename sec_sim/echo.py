"""A relay that echoes the proxy credentials it was given (``Proxy-Authorization: Basic``) back
inside its answer, in the spellings a collector must recognise: hostile cases ``echo_*``
(``hostile.py`` has the table). Without credentials the echo is of ``nobody:nothing``."""

from __future__ import annotations

import base64
import binascii
import html
import json
from typing import Any
from urllib.parse import quote

CUT_KEEP_BYTES = 64 * 1024  # what the collector keeps of an answer cut at its size limit
_SENTINEL = "__sec_sim_echo__"
_NOBODY = "nobody:nothing"


def proxy_credentials(headers: Any) -> str:
    """``user:password`` from a request's ``Proxy-Authorization: Basic …``."""
    value = str(headers.get("Proxy-Authorization") or "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return _NOBODY
    try:
        return base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return _NOBODY


def _json_escaped(text: str) -> str:
    """Every character not a letter or digit as ``\\uXXXX``, '/' as ``\\/``."""
    return "".join(
        c if c.isalnum() and c.isascii() else ("\\/" if c == "/" else f"\\u{ord(c):04x}")
        for c in text
    )


def _rows(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    base = {"NOMBRE_REGION": "Metropolitana", "NOMBRE_COMUNA": "Maipu", "CLIENTES_AFECTADOS": 10}
    out = [dict(r) for r in rows] or [dict(base)]
    return out + [dict(out[0]) for _ in range(n - len(out))]


def echo_json(rows: list[dict[str, Any]], credentials: str) -> bytes:
    """A valid answer whose first comuna is the credentials, JSON-escaped."""
    out = _rows(rows, 1)
    out[0]["NOMBRE_COMUNA"] = _SENTINEL
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    return text.replace(_SENTINEL, _json_escaped(credentials)).encode("utf-8")


def echo_split(rows: list[dict[str, Any]], credentials: str) -> bytes:
    """A valid answer whose first two comunas are the two halves of the credentials."""
    out, half = _rows(rows, 2), len(credentials) // 2
    out[0]["NOMBRE_COMUNA"], out[1]["NOMBRE_COMUNA"] = credentials[:half], credentials[half:]
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def echo_html(rows: list[dict[str, Any]], credentials: str) -> bytes:
    """A valid answer whose first comuna is the credentials as numeric HTML entities and its
    region them percent-encoded."""
    out = _rows(rows, 1)
    out[0]["NOMBRE_COMUNA"] = "".join(f"&#{ord(c)};" for c in credentials)
    out[0]["NOMBRE_REGION"] = quote(credentials, safe="")
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def echo_utf16(rows: list[dict[str, Any]], credentials: str) -> bytes:
    """An answer in UTF-16 (with its byte order mark) whose first comuna is the credentials."""
    out = _rows(rows, 1)
    out[0]["NOMBRE_COMUNA"] = html.escape(credentials)
    return json.dumps(out, ensure_ascii=False).encode("utf-16")


def hex_lines(credentials: str) -> list[tuple[str, str]]:
    """Header lines a debugging proxy adds to its error page: the credentials in hex."""
    raw = credentials.encode("utf-8")
    return [("X-Proxy-Credentials", raw.hex()), ("X-Proxy-Credentials-Hex", raw.hex().upper())]


def echo_cut(credentials: str, size: int) -> bytes:
    """``size`` bytes of junk with the credentials across the collector's cut: its first half
    the last bytes it keeps (:data:`CUT_KEEP_BYTES`)."""
    raw = credentials.encode("utf-8")
    at = CUT_KEEP_BYTES - len(raw) // 2
    head = (b"<junk>" * (at // 6 + 1))[:at]
    return head + raw + b"<junk>" * (max(size - at, 0) // 6 + 1)

"""The spellings of a secret an echo or a log can carry, written independently of the code under
test (``sec_assets/secrets/spellings.py``), to search stored bytes for."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus


def _json(s: str) -> str:
    return json.dumps(s, ensure_ascii=True)[1:-1]


SPELLINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "percent": lambda s: quote(s, safe=""),
    "percent-lower": lambda s: re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(s, safe="")),
    "percent-keep-slash": quote,
    "percent-plus": quote_plus,
    "json": _json,
    "json-slash": lambda s: _json(s).replace("/", "\\/"),
    "json-all-unicode": lambda s: "".join(f"\\u{ord(c):04X}" for c in s),
    "html-named": lambda s: html.escape(s, quote=True),
    "html-numeric": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "html-hex": lambda s: "".join(f"&#x{ord(c):x};" for c in s),
    "hex": lambda s: s.encode().hex(),
    "hex-upper": lambda s: s.encode().hex().upper(),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64-offset-1": lambda s: base64.b64encode(b"x" + s.encode()).decode(),
    "base64-offset-2": lambda s: base64.b64encode(b"xy" + s.encode() + b"z").decode(),
    "base64-urlsafe": lambda s: base64.urlsafe_b64encode(b"x" + s.encode()).decode(),
}


def forms(secret: str) -> set[bytes]:
    """Every spelling of ``secret``, as bytes in UTF-8 and UTF-16; base64 fragments are cut
    to the part that only the secret determines."""
    out: set[bytes] = set()
    for name, spell in SPELLINGS.items():
        text = spell(secret)
        if name.startswith("base64-offset") or name == "base64-urlsafe":
            text = text[4:-4]
        out |= {text.encode("utf-8"), text.encode("utf-16-le")}
    return out


def leaks(blob: bytes, secrets: list[str]) -> list[str]:
    """Which spellings of which secrets ``blob`` holds."""
    return [f"{s!r}: {form[:40]!r}" for s in secrets for form in forms(s) if form in blob]

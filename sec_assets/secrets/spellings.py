"""The spellings of a secret a text can carry, as regular expressions.

A secret is masked by value, in whatever spelling an echo gives it. Character by character it
may be written raw, JSON-escaped (``\\u00fc``, ``\\/``, ``\\"``), percent-encoded (``%C3%BC``,
``%c3%bc``, ``+`` for a space) or HTML-escaped (``&uuml;``, ``&#252;``, ``&#xFC;``), mixed freely;
whole, it may be hex (upper or lower case) or base64 (standard or URL-safe, at any alignment inside
a longer base64 text). A spelling is a list of character groups, each a list of alternatives made
of tokens, rendered as a pattern for Python's ``re`` (text, UTF-8 or UTF-16 bytes) or for Polars
(the Rust ``regex`` crate: the text pattern uses only syntax both share).
"""

from __future__ import annotations

import base64
import html.entities
import re
from collections.abc import Iterator
from dataclasses import dataclass

# A token: ("lit", text) | ("hex", digits in any case) | ("zeros", "") for leading zeros.
Token = tuple[str, str]
Alternative = tuple[Token, ...]
Group = tuple[Alternative, ...]  # one character of the secret (or one of an encoded form)
_META = set("\\.+*?()|[]{}^$")  # special in both Python's re and Rust's regex
_JSON_SHORT = {"/": "\\/", '"': '\\"', "\\": "\\\\"}


@dataclass(frozen=True)
class Spelling:
    """One way of writing a secret: a sequence of character groups."""

    groups: tuple[Group, ...]


def _hex(value: int, width: int) -> Token:
    return ("hex", f"{value:0{width}x}")


def _json_escapes(char: str) -> list[Alternative]:
    units = char.encode("utf-16-be")
    codes = [int.from_bytes(units[i : i + 2], "big") for i in range(0, len(units), 2)]
    out: list[Alternative] = [tuple(t for c in codes for t in (("lit", "\\u"), _hex(c, 4)))]
    if char in _JSON_SHORT:
        out.append((("lit", _JSON_SHORT[char]),))
    return out


def _percent(char: str) -> list[Alternative]:
    out: list[Alternative] = [
        tuple(t for b in char.encode("utf-8") for t in (("lit", "%"), _hex(b, 2)))
    ]
    if char == " ":
        out.append((("lit", "+"),))
    return out


def _html(char: str) -> list[Alternative]:
    code = ord(char)
    out: list[Alternative] = [
        (("lit", "&#"), ("zeros", ""), ("lit", f"{code};")),
        (("lit", "&#"), ("hex", "x"), ("zeros", ""), _hex(code, 1), ("lit", ";")),
    ]
    names = {html.entities.codepoint2name.get(code), "apos" if char == "'" else None}
    out += [(("lit", f"&{name};"),) for name in sorted(n for n in names if n)]
    return out


def char_group(char: str) -> Group:
    """Every way one character of a secret can be written."""
    alternatives = [(("lit", char),), *_json_escapes(char), *_percent(char), *_html(char)]
    return tuple(dict.fromkeys(alternatives))


def _literal(text: str) -> Spelling:
    return Spelling(tuple(((("lit", c),),) for c in text))


def _base64_forms(secret: bytes) -> set[str]:
    """The base64 characters that only ``secret`` determines, at each of the three alignments
    it can have inside a longer base64 text, plus its standalone encoding."""
    forms = {base64.b64encode(secret).decode("ascii")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii").rstrip("=")
        start = 4 if offset else 0  # the first group mixes in the prefix
        tail = (offset + len(secret)) % 3
        end = len(encoded) - (tail + 1 if tail else 0)  # the last group mixes in what follows
        if end - start >= 8:
            forms.add(encoded[start:end])
    return forms | {f.replace("+", "-").replace("/", "_") for f in forms}


def spellings(secret: str) -> Iterator[Spelling]:
    """The character-by-character spelling, then the whole-secret encodings."""
    yield Spelling(tuple(char_group(c) for c in secret))
    raw = secret.encode("utf-8")
    for form in sorted({raw.hex(), raw.hex().upper(), *_base64_forms(raw)}):
        yield _literal(form)


# -- rendering ---------------------------------------------------------------------------------


def _escape_text(text: str) -> str:
    return "".join("\\" + c if c in _META else c for c in text)


def _alt_text(alternative: Alternative) -> str:
    out = []
    for kind, value in alternative:
        if kind == "lit":
            out.append(_escape_text(value))
        elif kind == "zeros":
            out.append("0*")
        else:
            out.append("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in value))
    return "".join(out)


def _alt_bytes(alternative: Alternative, encoding: str) -> bytes:
    def esc(text: str) -> bytes:
        return re.escape(text.encode(encoding))

    out = []
    for kind, value in alternative:
        if kind == "lit":
            out.append(esc(value))
        elif kind == "zeros":
            out.append(b"(?:" + esc("0") + b")*")
        else:
            out += [
                b"(?:" + esc(c.lower()) + b"|" + esc(c.upper()) + b")" if c.isalpha() else esc(c)
                for c in value
            ]
    return b"".join(out)


def group_text(group: Group) -> str:
    alts = [_alt_text(a) for a in group]
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def group_bytes(group: Group, encoding: str) -> bytes:
    alts = [_alt_bytes(a, encoding) for a in group]
    return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"


def prefix_bytes(spelling: Spelling, min_chars: int, encoding: str) -> bytes:
    parts = [group_bytes(g, encoding) for g in spelling.groups]
    tail = b""
    for part in reversed(parts[min_chars:]):
        tail = b"(?:" + part + tail + b")?"
    return b"".join(parts[:min_chars]) + tail

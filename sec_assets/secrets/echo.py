"""What a relay echoes is not kept: an answer's body with every configured secret masked, and how
many were, before bronze stores it.

Three passes: every spelling anywhere in the body (UTF-8 or UTF-16, ``redactor.py``); a secret
split across two JSON string values of the answer, next to each other in the document or the same
field of consecutive rows (each part masked); and, for a body cut at its size or time limit, a
secret's beginning at the very end (from its first 4 characters on).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sec_assets.secrets.redactor import MASK, Redactor

# A JSON string token; a key when a ':' follows it.
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?', re.S)


@dataclass(frozen=True)
class Masked:
    body: bytes
    secret_echoed: int  # spellings masked in the body


def _value_runs(text: str) -> list[list[tuple[int, int]]]:
    """The spans of the string values (not keys), in document order, then per key in row order."""
    in_order: list[tuple[int, int]] = []
    by_key: dict[str, list[tuple[int, int]]] = {}
    key = ""
    for m in _STRING.finditer(text):
        if m.group(2):
            key = m.group(1)
        else:
            in_order.append(m.span(1))
            by_key.setdefault(key, []).append(m.span(1))
    return [in_order, *by_key.values()]


def _split_hits(
    text: str, run: list[tuple[int, int]], redactor: Redactor
) -> set[frozenset[tuple[int, int]]]:
    """Per secret found, the pieces of values (absolute spans) it was split into."""
    joined = "".join(text[a:b] for a, b in run)
    starts, pos = [], 0
    for a, b in run:
        starts.append(pos)
        pos += b - a
    found: set[frozenset[tuple[int, int]]] = set()
    for lo, hi in redactor.spans(joined):
        found.add(
            frozenset(
                (a + max(lo - s, 0), a + min(hi - s, b - a))
                for (a, b), s in zip(run, starts, strict=True)
                if s < hi and lo < s + (b - a)
            )
        )
    return found


def _mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue
        out += [text[last:a], MASK]
        last = b
    return "".join(out) + text[last:]


def _split_across_values(body: bytes, redactor: Redactor) -> tuple[bytes, int]:
    try:
        encoding = json.detect_encoding(body)
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return body, 0
    found: set[frozenset[tuple[int, int]]] = set()
    for run in _value_runs(text):
        if len(run) > 1:
            found |= _split_hits(text, run, redactor)
    if not found:
        return body, 0
    pieces = {piece for secret in found for piece in secret}
    return _mask_spans(text, pieces).encode(encoding), len(found)


def mask_answer(body: bytes, redactor: Redactor, *, cut: bool = False) -> Masked:
    """``body`` as bronze may keep it (see the module's docstring)."""
    if not redactor or not body:
        return Masked(body, 0)
    body, whole = redactor.bytes_counted(body)
    body, split = _split_across_values(body, redactor)
    tail = 0
    if cut:
        body, tail = redactor.tail_counted(body)
    return Masked(body, whole + split + tail)

"""A seed archive's points cut out of the file whole and parsed by ``orjson``, streaming.

The seed writes its archives with ``json.dump(indent=2)``: a point of the points array opens
with ``{`` at some indentation and closes with ``}`` alone on a line at the same indentation,
and no string holds a raw line break, so the point's bytes end at the first
``"\\n" + indent + "}"`` after its start. Each candidate is parsed whole; one that does not parse
(a compact file, an empty object, a value ``orjson`` refuses) is read again by the standard
library's scanner for its extent and by ``ijson`` for its value, which is what the streaming
reader of ``seed_stream.py`` yields for it. A file that breaks stops with
:class:`ArchiveSyntaxError` and the byte where it was seen (the file's size for a truncation).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from itertools import chain
from typing import Any, BinaryIO

import orjson

BLOCK = 1 << 20
MAX_POINT = 64 << 20  # a longer point, or one never closed, is read the slow way
_WS = re.compile(rb"[ \t\r\n]*")
_KEY = re.compile(rb'"((?:[^"\\]|\\.)*)"[ \t\r\n]*:[ \t\r\n]*')
_DECODER = json.JSONDecoder()
_SLOW = object()


class ArchiveSyntaxError(ValueError):
    """The archive is not valid JSON at or before byte ``offset``."""

    def __init__(self, offset: int, detail: str) -> None:
        self.offset = offset
        super().__init__(detail)


class _Window:
    """The file's bytes from ``base`` on, read a block at a time as the parse needs them."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.buf, self.base, self.eof = fh, b"", 0, False

    def more(self) -> bool:
        block = b"" if self.eof else self.fh.read(BLOCK)
        self.eof = not block
        self.buf += block
        return bool(block)

    def at(self, pos: int) -> int:
        """The byte at ``pos`` (reading on as needed); -1 at the end of the file."""
        while pos >= len(self.buf):
            if not self.more():
                return -1
        return self.buf[pos]

    def skip_ws(self, pos: int) -> int:
        while True:
            end = _WS.match(self.buf, pos).end()  # type: ignore[union-attr]
            if end < len(self.buf) or not self.more():
                return end

    def trim(self, pos: int) -> int:
        """Forget the parsed bytes before ``pos``'s line; returns ``pos`` in the new buffer."""
        if pos < BLOCK:
            return pos
        cut = max(self.buf.rfind(b"\n", 0, pos), 0)
        self.buf, self.base = self.buf[cut:], self.base + cut
        return pos - cut

    def fail(self, pos: int, detail: str) -> ArchiveSyntaxError:
        if pos >= len(self.buf) and not self.more():
            return ArchiveSyntaxError(self.base + len(self.buf), f"unexpected end: {detail}")
        return ArchiveSyntaxError(self.base + pos + 1, detail)


def _span(win: _Window, pos: int) -> int:
    """The end of the JSON value starting at ``pos`` (the standard library's scanner)."""
    while True:
        text = win.buf[pos:].decode("utf-8", "surrogateescape")
        try:
            _, end = _DECODER.raw_decode(text)
            return pos + len(text[:end].encode("utf-8", "surrogateescape"))
        except json.JSONDecodeError as exc:
            cut = exc.msg.startswith("Unterminated") or not text[exc.pos :].strip()
            if cut and win.more():
                continue
            at = pos + len(text[: exc.pos].encode("utf-8", "surrogateescape"))
            raise win.fail(len(win.buf) if cut else at, exc.msg) from None


def _parse(data: bytes) -> Any:
    """The value of ``data``: ``orjson``'s, or ``ijson``'s where they could differ."""
    import ijson

    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = _SLOW
    if value is _SLOW or _has_float(value):
        (value,) = ijson.items(data, "", use_float=True)  # the whole of ``data``, or it raises
    return value


def _has_float(point: Any) -> bool:
    """Whether a parsed point holds a float: ``orjson`` reads an integer beyond 64 bits as one,
    where ``ijson`` refuses it, so such a point is read by ``ijson`` (a genuine float, rare in
    the seed's rows, reads the same either way). The rows' values are typed in one pass."""
    if type(point) is not dict:
        return _holds_float(point)
    rows = point.get("data")
    if type(rows) is list and set(map(type, rows)) == {dict}:
        kinds = set(map(type, chain.from_iterable(map(dict.values, rows))))
        if float in kinds or (kinds & {dict, list} and _holds_float(rows)):
            return True
        rows = None
    return _holds_float(rows) or any(_holds_float(v) for k, v in point.items() if k != "data")


def _holds_float(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        return any(map(_holds_float, value.values()))
    if kind is list:
        return any(map(_holds_float, value))
    return kind is float


def _element(win: _Window, start: int) -> tuple[Any, int]:
    """The array element starting at ``start`` and the position after it."""
    import ijson

    line = win.buf.rfind(b"\n", 0, start)
    indent = win.buf[line + 1 : start]
    if line >= 0 and win.buf[start] == ord("{") and not indent.strip(b" "):
        marker = b"\n" + indent + b"}"
        end = win.buf.find(marker, start)
        while end < 0 and len(win.buf) - start < MAX_POINT and win.more():
            end = win.buf.find(marker, max(start, len(win.buf) - BLOCK - len(marker)))
        if end >= 0:
            end += len(marker)
            with contextlib.suppress(ijson.JSONError):  # not one whole point: the slow way
                return _parse(win.buf[start:end]), end
    end = _span(win, start)
    try:
        return _parse(win.buf[start:end]), end
    except ijson.JSONError as exc:
        raise win.fail(start, str(exc)) from None


def _array_items(win: _Window, pos: int) -> Iterator[Any]:
    """The elements of the array whose ``[`` is at ``pos``; leaves the window after ``]``."""
    pos = win.skip_ws(pos + 1)
    if win.at(pos) == ord("]"):
        win.buf, win.base = win.buf[pos + 1 :], win.base + pos + 1
        return
    while True:
        if win.at(pos) == -1:
            raise win.fail(pos, "the points' array is not closed")
        value, pos = _element(win, pos)
        yield value
        pos = win.skip_ws(pos)
        sep = win.at(pos)
        if sep == ord("]"):
            win.buf, win.base = win.buf[pos + 1 :], win.base + pos + 1
            return
        if sep != ord(","):
            raise win.fail(pos, "expected ',' or ']' after a point")
        pos = win.trim(win.skip_ws(pos + 1))


def _data_array(win: _Window) -> int | None:
    """Where the top-level object's ``"data"`` array opens; None when the file is not shaped
    ``{"key": value, ..., "data": [``."""
    pos = win.skip_ws(0)
    if win.at(pos) != ord("{"):
        return None
    pos = win.skip_ws(pos + 1)
    while win.at(pos) == ord('"'):
        key = _KEY.match(win.buf, pos)
        while key is None and win.more():
            key = _KEY.match(win.buf, pos)
        if key is None:
            return None
        name, pos = json.loads(b'"' + key.group(1) + b'"'), key.end()
        if win.at(pos) == -1:
            return None
        if name == "data":
            return pos if win.at(pos) == ord("[") else None
        pos = win.skip_ws(_span(win, pos))
        if win.at(pos) != ord(","):
            return None
        pos = win.skip_ws(pos + 1)
    return None


def split_points(fh: BinaryIO, layout: str) -> Iterator[Any] | None:
    """Each point of a year file (``data``) or a bare list (``list``) open as ``fh``; None when
    the file's start is not shaped as its layout (the caller reads it with ``ijson``)."""
    win = _Window(fh)
    if layout == "list":
        first = win.skip_ws(0)
        start = first if win.at(first) == ord("[") else None
    else:
        start = _data_array(win)
    if start is None:
        return None
    return _with_tail(win, start, layout)


def _with_tail(win: _Window, start: int, layout: str) -> Iterator[Any]:
    yield from _array_items(win, start)
    while win.more():
        pass
    rest = win.buf.strip()
    try:
        if layout != "list":
            orjson.loads(b'{"data":[]' + rest)
        elif rest:
            orjson.loads(b"[]" + rest)
    except orjson.JSONDecodeError as exc:
        raise ArchiveSyntaxError(win.base + len(win.buf), f"after the points: {exc}") from None

"""One redactor for every configured secret: a single compiled alternation of all spellings
(``spellings.py``) for text, and one for bytes in UTF-8, UTF-16-LE and UTF-16-BE.

Secrets shorter than :data:`MIN_SECRET_CHARS` are not masked by value: three characters occur
in ordinary text (names, numbers) and masking them would damage data. A DSN or URL still shows
its password masked by position (``warehouse/dsn.py``), whatever its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sec_assets.secrets.spellings import (
    Spelling,
    group_bytes,
    group_text,
    prefix_bytes,
    spellings,
)

if TYPE_CHECKING:  # Polars is imported where a long text is masked: the importer never needs it
    import polars as pl

MASK = "***"
MIN_SECRET_CHARS = 4
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
_TAIL_WINDOW = 16  # bytes of tail searched per character of the longest spelling
_RUST_FROM_CHARS = 512  # longer texts are searched by Polars (Rust's regex, a DFA): much faster


def _text_pattern(spelling: Spelling) -> str:
    return "".join(group_text(g) for g in spelling.groups)


def _bytes_pattern(spelling: Spelling, encoding: str) -> bytes:
    return b"".join(group_bytes(g, encoding) for g in spelling.groups)


class Redactor:
    """Masks a fixed set of secrets, in every spelling, in text, bytes and Polars columns."""

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
        # Longest first: a secret that contains another (user:password) is masked whole.
        self._secrets = sorted(kept, key=lambda s: (-len(s), s))
        forms = [sp for s in self._secrets for sp in spellings(s)]
        self._forms = forms
        self.pattern = "|".join(f"(?:{_text_pattern(sp)})" for sp in forms)
        self._compiled_text: re.Pattern[str] | None = None
        self._compiled_bytes: re.Pattern[bytes] | None = None
        self._longest = max((len(sp.groups) for sp in forms), default=0)

    @property
    def _text(self) -> re.Pattern[str] | None:
        """Compiled on first use (a settings load that never masks pays nothing)."""
        if self._compiled_text is None and self._forms:
            self._compiled_text = re.compile(self.pattern)
        return self._compiled_text

    @property
    def _bytes(self) -> re.Pattern[bytes] | None:
        if self._compiled_bytes is None and self._forms:
            per_encoding = (
                b"(" + b"|".join(_bytes_pattern(sp, e) for sp in self._forms) + b")"
                for e in ENCODINGS
            )
            self._compiled_bytes = re.compile(b"|".join(per_encoding))
        return self._compiled_bytes

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    # -- text ----------------------------------------------------------------------------------
    def text_counted(self, value: str) -> tuple[str, int]:
        """``value`` with every spelling masked, and how many were."""
        if self._text is None or not value:
            return value, 0
        if len(value) < _RUST_FROM_CHARS:
            return self._text.subn(MASK, value)
        import polars as pl

        series = pl.Series([value], dtype=pl.String)
        found = int(series.str.count_matches(self.pattern)[0] or 0)
        if not found:
            return value, 0
        return str(series.str.replace_all(self.pattern, MASK)[0]), found

    def text(self, value: str) -> str:
        return self.text_counted(value)[0]

    def spans(self, value: str) -> list[tuple[int, int]]:
        """Where ``value`` spells a secret (start, end)."""
        if self._text is None or not self.found(value):
            return []
        return [m.span() for m in self._text.finditer(value)]

    def found(self, value: str) -> bool:
        """Whether ``value`` spells a secret (Rust's regex for long texts)."""
        if not self._forms or not value:
            return False
        if len(value) < _RUST_FROM_CHARS:
            return self._text is not None and self._text.search(value) is not None
        import polars as pl

        return bool(pl.Series([value], dtype=pl.String).str.contains(self.pattern)[0])

    # -- bytes ---------------------------------------------------------------------------------
    def bytes_counted(self, value: bytes) -> tuple[bytes, int]:
        """``value`` with every spelling masked, in UTF-8 and UTF-16 (either byte order)."""
        if self._bytes is None or not value:
            return value, 0
        if b"\0" not in value:  # no UTF-16 text: UTF-8, searched as text when it decodes
            try:
                text, found = self.text_counted(value.decode("utf-8"))
            except UnicodeDecodeError:
                pass
            else:
                return (text.encode("utf-8") if found else value), found
        masks = [MASK.encode(e) for e in ENCODINGS]
        return self._bytes.subn(lambda m: masks[(m.lastindex or 1) - 1], value)

    def mask_bytes(self, value: bytes) -> bytes:
        return self.bytes_counted(value)[0]

    def tail_counted(self, value: bytes) -> tuple[bytes, int]:
        """Mask a secret's beginning at the very end of a body that was cut: from its first
        :data:`MIN_SECRET_CHARS` characters on, in any spelling and encoding."""
        if not self._forms or not value:
            return value, 0
        window = self._longest * _TAIL_WINDOW
        head, tail = value[:-window], value[-window:]
        for encoding in ENCODINGS:
            for sp in self._forms:
                pattern = prefix_bytes(sp, MIN_SECRET_CHARS, encoding) + rb"\Z"
                match = re.search(pattern, tail)
                if match:
                    masked = tail[: match.start()] + MASK.encode(encoding)
                    return head + masked, 1
        return value, 0

    # -- Polars --------------------------------------------------------------------------------
    def mask_expr(self, column: str) -> pl.Expr:
        """``column`` with every spelling masked (Rust regex: the same pattern)."""
        import polars as pl

        if not self.pattern:
            return pl.col(column)
        return pl.col(column).str.replace_all(self.pattern, MASK)

    def count_expr(self, column: str) -> pl.Expr:
        import polars as pl

        if not self.pattern:
            return pl.lit(0, pl.UInt32)
        return pl.col(column).str.count_matches(self.pattern).fill_null(0)

"""Numbers as a person reads them, for metadata and messages."""

from __future__ import annotations


def readable(value: float, unit: str = "") -> str:
    """``1234567`` → ``1.23 million``; small values as they are, with thousands separators."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"{value / size:.2f} {word}{unit}"
    return f"{value:,.0f}{unit}"


def readable_bytes(size: int) -> str:
    for factor, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= factor:
            return f"{size / factor:.1f} {name}"
    return f"{size} B"

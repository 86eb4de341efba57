"""The one rule for every number in an SEC answer, whether the service sent it as a JSON number
or as a string ("12", " 12.0 ", "NaN", "1e30"): finite, an integer, within the field's range.

Used by bronze's validation (``validation.py``) per value and, vectorized, by silver's reader
(``silver/bronze_reader.py``) on stored answers, so both apply the same rule. Pure, no I/O.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: The largest customer count any field may hold: above the country's total of customers
#: (``GetClientesNacional``: 8,156,814 in 2024) with room for growth. No comuna, region or the
#: country has more; a count above it is not a count. Bounding every input this way also bounds
#: every sum silver makes (fragments per key, comunas per region, customer-hours): int64 holds
#: 9.2e18, i.e. 9.2e11 rows at this bound, so no sum can wrap.
MAX_CUSTOMERS = 10_000_000

#: Field → the closed range of its integer values. Date parts of the legacy era are the outage
#: start date (``FECHA_INT_STR``'s parts; 0 when not given); ``HORA``, ``DIA``, ``MES``,
#: ``ANHO`` were always 0.
RANGES: dict[str, tuple[int, int]] = {
    "CLIENTES_AFECTADOS": (0, MAX_CUSTOMERS),
    "CLIENTES": (0, MAX_CUSTOMERS),
    "DIA_INT": (0, 31),
    "MES_INT": (0, 12),
    "ANHO_INT": (0, 2100),
    "HORA": (0, 23),
    "DIA": (0, 31),
    "MES": (0, 12),
    "ANHO": (0, 2100),
}

#: A string that means a number: what silver's Float64 cast would read as one (decimal, exponent,
#: NaN, inf, Infinity), surrounded by optional blanks. Anything else is text, not a number.
NUMERIC_TEXT = (
    r"(?i)^\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|nan|inf|infinity)\s*$"
)
_NUMERIC = re.compile(NUMERIC_TEXT)
_INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def as_number(value: Any) -> int | float | None:
    """The number a JSON value means (a number, or a string that spells one); None for null,
    booleans and text that is not a number."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is not str or not _NUMERIC.match(value):
        return None
    if _INTEGER.match(value):
        return int(value)  # exact, however long: 30 digits stay 30 digits
    return float(value)  # "1e400" → inf, "NaN" → nan: refused by the rule below


def breaks_rule(field: str, value: Any) -> str | None:
    """Why ``value`` of ``field`` is not a valid number for it; None when it is one, or when the
    value is not a number at all (null, "N/A": silver counts those as missing)."""
    bounds = RANGES.get(field)
    if bounds is None:
        return None
    number = as_number(value)
    if number is None:
        return None
    lo, hi = bounds
    if isinstance(number, float):
        if not math.isfinite(number):
            return f"{field}={value!r} is not a finite number"
        if not number.is_integer():
            return f"{field}={value!r} is not an integer"
    if not lo <= number <= hi:
        return f"{field}={value!r} is outside {lo}..{hi:,}"
    return None


def integer(field: str, value: Any) -> int | None:
    """``value`` as the integer it means for ``field`` when it passes the rule, else None."""
    number = as_number(value)
    if number is None or breaks_rule(field, value) is not None:
        return None
    return int(number)

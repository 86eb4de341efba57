"""One parameter style for both engines: ``:name`` in the SQL, a dict of values beside it.

Callers write ``WHERE month = :month`` with ``{"month": "2024-01"}``; :func:`bind_params` rewrites
the placeholders for the driver — DuckDB's ``$month``, psycopg's ``%(month)s`` — and passes only
the values the query uses. Values are always bound by the driver, never pasted into the SQL.

The scanner skips string literals (``'...'``), quoted identifiers (``"..."``), comments and
Postgres casts (``x::int``). When ``params`` is None the SQL is passed through untouched.
Postgres dollar-quoted bodies (``$$ ... $$``) are not scanned specially: do not bind there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Style = Literal["duckdb", "postgres"]

_TOKEN = re.compile(
    r"""
      '(?:[^']|'')*'               # string literal
    | "(?:[^"]|"")*"               # quoted identifier
    | --[^\n]*                     # line comment
    | /\*.*?\*/                    # block comment
    | ::                           # cast operator, not a parameter
    | :(?P<name>[A-Za-z_]\w*)      # a parameter
    | %                            # psycopg needs a literal % doubled
    """,
    re.VERBOSE | re.DOTALL,
)


def bind_params(
    sql: str, params: Mapping[str, Any] | None, style: Style
) -> tuple[str, dict[str, Any] | None]:
    """``sql`` with ``:name`` placeholders rewritten for ``style``, and the values it uses.

    Raises ``KeyError`` naming a placeholder that ``params`` lacks.
    """
    if params is None:
        return sql, None
    used: dict[str, Any] = {}

    def rewrite(match: re.Match[str]) -> str:
        name = match.group("name")
        token = match.group(0)
        if name is None:  # psycopg scans literals and comments for % too
            return token.replace("%", "%%") if style == "postgres" else token
        if name not in params:
            raise KeyError(f"SQL parameter :{name} has no value (given: {sorted(params)})")
        used[name] = params[name]
        return f"${name}" if style == "duckdb" else f"%({name})s"

    return _TOKEN.sub(rewrite, sql), used


def in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:<prefix>0, :<prefix>1, …)`` for ``column IN …``, and their values: each value bound
    by the driver. No values: ``(NULL)``, which matches nothing."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return f"({', '.join(':' + k for k in params) or 'NULL'})", params

"""Silver keeps no secret: every text column of the month's answers (the SEC's names, the hours'
errors) has each configured secret masked in every spelling (``secrets/redactor.py``) before
the month is built, whatever bronze was written by; the rows that carry a masked secret are
counted as the guardrail ``secret_echoed``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sec_assets.secrets.active import active
from sec_assets.secrets.redactor import MASK
from sec_assets.silver.bronze_reader import MonthAnswers

if TYPE_CHECKING:
    import polars as pl


def _mask(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    redactor = active()
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not redactor or not text or frame.is_empty():
        return frame
    return frame.with_columns(redactor.mask_expr(c) for c in text)


def mask_answers(answers: MonthAnswers) -> tuple[MonthAnswers, int]:
    """The answers with every secret masked; how many rows carry a masked secret."""
    import polars as pl

    rows = _mask(answers.rows)
    text = [c for c, t in rows.schema.items() if t == pl.String and c not in ("hour_key", "era")]
    carrying = (
        rows.select(pl.any_horizontal(pl.col(c).str.contains(MASK, literal=True) for c in text))
        .to_series()
        .fill_null(False)
        .sum()
        if text and rows.height
        else 0
    )
    return replace(answers, rows=rows, hours=_mask(answers.hours)), int(carrying)

"""A month is spelled by :class:`sec_assets.month.Month` alone: no module of the product, its
tools, the simulator or the tests writes the label's ``strftime`` format (``%Y-%m`` not
followed by a day) outside ``sec_assets/month.py``; a Polars expression formatting a date
column as a label uses ``month.LABEL_FORMAT``."""

from __future__ import annotations

import re
from pathlib import Path

from sec_assets.month import LABEL_FORMAT, Month

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("sec_assets", "sec_tools", "sec_sim", "sec_assets_tests")
OWNER = REPO / "sec_assets" / "month.py"
# The label's format: %Y-%m not followed by -%d (a day or a timestamp is not a month).
LABEL = re.compile("%Y" + "-%m" + r"(?!-)")


def spellings(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if LABEL.search(line)]


def offenders() -> dict[str, list[str]]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if path == OWNER or path == Path(__file__).resolve():
                continue
            lines = spellings(path.read_text(encoding="utf-8"))
            if lines:
                found[str(path.relative_to(REPO))] = lines
    return found


def test_no_module_spells_the_month_label_outside_month_py() -> None:
    assert offenders() == {}


def test_the_rule_finds_every_spelling_of_the_label_and_no_day() -> None:
    fmt = "%Y" + "-%m"
    assert spellings(f'key = day.strftime("{fmt}")')
    assert spellings(f'label = f"{{day:{fmt}}}"')
    assert spellings(f'pl.col("d").dt.strftime("{fmt}")')
    assert not spellings(f'day.strftime("{fmt}-%d")')
    assert not spellings(f'f"{{t:{fmt}-%dT%H:%M%z}}"')
    assert spellings(OWNER.read_text(encoding="utf-8"))  # the one place it is written


def test_label_format_spells_a_label() -> None:
    from datetime import date

    assert date(2024, 8, 15).strftime(LABEL_FORMAT) == Month(2024, 8).label

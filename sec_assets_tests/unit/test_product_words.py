"""The repository speaks of the product: no work-log narratives in its documents or comments.

Documents (Markdown) and code comments describe what the product does and why, not who did what
when: no sessions of work, helpers, reviews by someone, first persons or commit-by-commit
stories. Each pattern below names the habit it catches; a match fails with the file and line.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from sec_assets_tests.conftest import REPO

ORDINAL = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|this|last|previous|"
    r"earlier|later|next|today's|yesterday's"
)
NARRATIVE = {
    "a session of work": re.compile(
        rf"\b(?:{ORDINAL})\s+session\b|\bsession'?s (?:code|figures|work)\b", re.I
    ),
    "a reviewer's story": re.compile(r"\b(?:a|the|one) (?:helper|reviewer)'s\b|\bhelpers?' ", re.I),
    "first person singular": re.compile(
        r"\bI(?:'ve|'m|'d)?\s+(?:tried|measured|found|ran|kept|used|think|added|wrote|chose|did"
        r"|have|am|was)\b|\b[Mm]y (?:first|own|review|code|version|change|fix)\b"
    ),
    "a commit as a column or date of a figure": re.compile(r"\|\s*[0-9a-f]{7}\s*\((?:\d\d:\d\d)"),
}
CASES = [
    ("The fifth session's figures", "a session of work"),
    ("this " + "session's code", "a session of work"),
    ("A " + "helper" + "'s review found that", "a reviewer's story"),
    ("I tried ensuring it on the kept connection", "first person singular"),
    ("| 9b0dd6f (21:17) | 30825ed |", "a commit as a column or date of a figure"),
]
CLEAN = [
    "a named lock asked for inside a DuckDB session",
    "the day's valid hours",
    "the session's connection takes the next read",
    "Arica y Parinacota (Region XV, I before 2007)",
]


def tracked_text_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "*.md", "*.py", "*.sql", "*.yaml", "Makefile", ".ci/run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [p for p in out if not p.startswith("sec_assets_tests/fixtures/") and p != __file__]


def offending_lines(text: str) -> list[tuple[int, str, str]]:
    return [
        (n, habit, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        for habit, pattern in NARRATIVE.items()
        if pattern.search(line)
    ]


@pytest.mark.parametrize(("line", "habit"), CASES)
def test_each_pattern_catches_its_habit(line: str, habit: str) -> None:
    assert [h for _, h, _ in offending_lines(line)] == [habit]


@pytest.mark.parametrize("line", CLEAN)
def test_product_prose_passes(line: str) -> None:
    assert offending_lines(line) == []


def test_no_work_log_narratives_in_the_repository() -> None:
    here = "sec_assets_tests/unit/test_product_words.py"
    found = [
        f"{path}:{n}: {habit}: {line[:120]}"
        for path in tracked_text_files()
        if path != here
        for n, habit, line in offending_lines((REPO / path).read_text(encoding="utf-8"))
    ]
    assert not found, "work-log narrative in the repository:\n" + "\n".join(found)


def test_the_readme_is_a_guide_and_its_links_resolve() -> None:
    """The README stays a guide (what it is, the two commands, configuration, the assets,
    operations, where to read more); depth lives in docs/, and every page it names exists."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 450
    linked = set(re.findall(r"\]\(([^)#]+\.md)\)", readme))
    assert {"docs/bronze.md", "docs/silver.md", "docs/gold.md", "docs/benchmarks.md"} <= linked
    missing = sorted(p for p in linked if not (REPO / p).is_file())
    assert not missing, missing

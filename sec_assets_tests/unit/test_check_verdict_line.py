"""A step's check verdicts as one log line: every check named with its verdict; the description
where the run's UI would not otherwise show it (a failed check, a check the run did not
select)."""

from __future__ import annotations

import dagster as dg
import pytest

from sec_assets.silver.partition_range import verdict_line

ASSET = "fact_interrupciones"


def _result(name: str, passed: bool) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=ASSET,
        passed=passed,
        description=f"{name}: {'none offending' if passed else '3 offending row(s)'}",
    )


def _key(name: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(ASSET), name)


@pytest.mark.parametrize(
    ("passed", "selected", "expected"),
    [
        # all passed and selected: their descriptions are on their evaluations
        ((True, True), ("a", "b"), "a passed; b passed"),
        # a failure carries its description in the line too
        ((True, False), ("a", "b"), "a passed; b FAILED (b: 3 offending row(s))"),
        # a check the run did not select has no evaluation: its description is in the line
        ((True, True), ("a",), "a passed; b passed (b: none offending)"),
        ((False, True), (), "a FAILED (a: 3 offending row(s)); b passed (b: none offending)"),
    ],
)
def test_one_line_per_step(
    passed: tuple[bool, bool], selected: tuple[str, ...], expected: str
) -> None:
    results = [_result("a", passed[0]), _result("b", passed[1])]
    line = verdict_line(results, {_key(n) for n in selected}, "2024-08")
    assert line == f"checks of {ASSET}, 2024-08: {expected}"

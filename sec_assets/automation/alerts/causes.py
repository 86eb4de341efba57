"""What each alert is about, built from plain data read off the instance or bronze (``sources``).

No Dagster imports. Cause keys:

- ``run_failed:<month or ->:<step>``: a step of a run failed (after its retries); cleared when a
  later run of the same month (any job) succeeds at that step, or the run-level ``run`` key when
  a later run of the month succeeds. A step that failed because a blocking check failed is the
  check's alert, not this one;
- ``check_failed:<month>:<asset>:<check>``: a blocking check failed, so the month is left out
  of gold; cleared when the same check passes on that month;
- ``breaker_open``, ``bronze_lag``, ``gold_stale``, ``coverage_low:<month>``: states, built by
  :mod:`~sec_assets.automation.alerts.state_causes`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from sec_assets.automation.alerts.book import Cause

CHECK_FAILED_ERROR = "DagsterAssetCheckFailedError"
RUN_DOCS = 'README, section "Reading a failed run\'s cause"'


@dataclass(frozen=True)
class StepFailure:
    step: str
    error_class: str
    message: str


@dataclass(frozen=True)
class CheckVerdict:
    asset: str
    check: str
    passed: bool
    blocking: bool
    description: str  # the result's: the figure ("372 offending row(s) in 2024-08")
    spec_description: str  # the check's: what it requires
    sample: str = ""  # the first offending row, when the result shows some


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    job: str
    scope: str  # the month (YYYY-MM), a range of months, or "-" for unpartitioned runs
    partition_key: str | None
    success: bool
    at: float
    trigger: str | None = None
    run_error: str = ""
    failures: list[StepFailure] = field(default_factory=list)
    succeeded_steps: list[str] = field(default_factory=list)
    checks: list[CheckVerdict] = field(default_factory=list)

    @property
    def month(self) -> str | None:
        return None if self.scope == "-" else self.scope


def _launched_by(run: RunOutcome) -> str:
    return f"run {run.run_id[:8]} of {run.job}" + (
        f", launched by {run.trigger}" if run.trigger else ""
    )


def _retry_hint(run: RunOutcome) -> str:
    if run.partition_key:
        tags = shlex.quote(json.dumps({"dagster/partition": run.partition_key}))
        return (
            f"once fixed, re-run the month (UI: Jobs → monthly_pipeline → Materialize, partition "
            f"{run.partition_key}; or `dagster job launch -j monthly_pipeline --tags {tags}`), "
            "or let the next schedule or incomplete_months_sensor launch it"
        )
    return "once fixed, materialize it again (UI, or `dagster job launch -j gold_refresh`)"


def run_failure_causes(run: RunOutcome) -> list[Cause]:
    """One cause per failed step (a blocking check's failure excepted), or one for the run when
    it failed before any step did."""
    if run.success:
        return []
    where = "" if run.month is None else f" for {run.month}"
    action = f"open {_launched_by(run)} in the Dagster UI ({RUN_DOCS}); {_retry_hint(run)}"
    causes = [
        Cause(
            key=f"run_failed:{run.scope}:{f.step}",
            title=f"{f.step} failed{where} ({run.job})",
            why=f"{f.message.strip()} [{f.error_class}; {_launched_by(run)}]",
            action=action,
            since=run.at,
            occurrence=run.run_id,
            month=run.month,
        )
        for f in run.failures
        if f.error_class != CHECK_FAILED_ERROR
    ]
    if not run.failures:
        causes.append(
            Cause(
                key=f"run_failed:{run.scope}:run",
                title=f"a run of {run.job} failed{where} before any step did",
                why=f"{run.run_error.strip() or 'no error recorded'} [{_launched_by(run)}]",
                action=action,
                since=run.at,
                occurrence=run.run_id,
                month=run.month,
            )
        )
    return causes


def run_failures_cleared(run: RunOutcome, open_keys: list[str]) -> list[str]:
    """The open ``run_failed`` keys this run clears: its month's steps that now succeeded, and
    the run-level key when the run succeeded."""
    prefix = f"run_failed:{run.scope}:"
    steps = set(run.succeeded_steps) | ({"run"} if run.success else set())
    return [k for k in open_keys if k.startswith(prefix) and k.removeprefix(prefix) in steps]


def check_key(run: RunOutcome, verdict: CheckVerdict) -> str:
    return f"check_failed:{run.scope}:{verdict.asset}:{verdict.check}"


def check_causes(run: RunOutcome) -> list[Cause]:
    """One cause per blocking check that failed in this run."""
    out = []
    for v in run.checks:
        if v.passed or not v.blocking:
            continue
        month = run.month or "the unpartitioned asset"
        figure = v.description + (f"; first offending row: {v.sample}" if v.sample else "")
        out.append(
            Cause(
                key=check_key(run, v),
                title=f"{month} left out of gold: blocking check {v.check} failed on {v.asset}",
                why=f"{v.spec_description} Found: {figure} [{_launched_by(run)}]",
                action=(
                    "gold counts only months whose blocking checks passed (the month is listed "
                    'in data_coverage); see docs/silver.md, section "Checks", for what the check '
                    f"guards; {_retry_hint(run)}"
                ),
                since=run.at,
                occurrence=run.run_id,
                month=run.month,
            )
        )
    return out


def checks_cleared(run: RunOutcome) -> list[str]:
    """The ``check_failed`` keys whose check passed in this run."""
    return [check_key(run, v) for v in run.checks if v.passed]

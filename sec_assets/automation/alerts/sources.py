"""What the alert sensors read: finished runs from the instance's event log (public APIs), with
their failed and succeeded steps and their check evaluations, turned into plain
:class:`~sec_assets.automation.alerts.causes.RunOutcome` values."""

from __future__ import annotations

from typing import Any, cast

import dagster as dg

from sec_assets.automation.alerts.causes import CheckVerdict, RunOutcome, StepFailure
from sec_assets.automation.runs import PARTITION_TAG, TRIGGER_TAG
from sec_assets.month import Month

T = dg.DagsterEventType
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}
FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "
BATCH = 200


def _month(key: str) -> str:
    try:
        return Month.parse(key).label
    except ValueError:
        return key


def scope_of(tags: dict[str, str]) -> str:
    if PARTITION_TAG in tags:
        return _month(tags[PARTITION_TAG])
    if RANGE_START in tags and RANGE_END in tags:
        return f"{_month(tags[RANGE_START])}..{_month(tags[RANGE_END])}"
    return "-"


def error_text(error: Any) -> tuple[str, str]:
    """(class, message) of a step's error, unwrapped to the user code's own exception."""
    if error is None:
        return "unknown", "no error recorded"
    while error.cls_name in WRAPPERS and error.cause is not None:
        error = error.cause
    return error.cls_name or "Error", error.message.removeprefix(FAILURE_PREFIX).strip()


def _check_descriptions() -> dict[str, str]:
    from sec_assets.silver.checks import CHECKS

    return {c.name: c.description for c in CHECKS}


def _verdict(data: Any, described: dict[str, str]) -> CheckVerdict:
    sample = data.metadata.get("sample")
    rows = getattr(sample, "value", None)
    first = str(rows[0]) if isinstance(rows, list) and rows else ""
    return CheckVerdict(
        asset=data.asset_key.to_user_string(),
        check=data.check_name,
        passed=bool(data.passed),
        blocking=bool(data.blocking),
        description=data.description or "",
        spec_description=described.get(data.check_name, ""),
        sample=first,
    )


def outcome(instance: dg.DagsterInstance, run_id: str, success: bool, at: float) -> RunOutcome:
    """A finished run: its month, its failed and succeeded steps, its check evaluations."""
    run = instance.get_run_by_id(run_id)
    tags = dict(run.tags) if run else {}
    kinds = {T.STEP_FAILURE, T.STEP_SUCCESS, T.ASSET_CHECK_EVALUATION, T.RUN_FAILURE}
    records = instance.get_records_for_run(run_id, of_type=kinds).records
    failures, succeeded, checks, run_error = [], [], [], ""
    described = _check_descriptions()
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        data = event.event_specific_data
        if event.event_type is T.STEP_FAILURE:
            cls, message = error_text(getattr(data, "error", None))
            failures.append(StepFailure(event.step_key or "?", cls, message))
        elif event.event_type is T.STEP_SUCCESS:
            succeeded.append(event.step_key or "?")
        elif event.event_type is T.ASSET_CHECK_EVALUATION:
            checks.append(_verdict(data, described))
        elif event.event_type is T.RUN_FAILURE:
            run_error = event.message or ""
    return RunOutcome(
        run_id=run_id,
        job=run.job_name if run else "?",
        scope=scope_of(tags),
        partition_key=tags.get(PARTITION_TAG),
        success=success,
        at=at,
        trigger=tags.get(TRIGGER_TAG)
        or tags.get("dagster/schedule_name")
        or tags.get("dagster/sensor_name")
        or tags.get("dagster/backfill"),
        run_error=run_error,
        failures=failures,
        succeeded_steps=succeeded,
        checks=checks,
    )


def finished_runs(
    instance: dg.DagsterInstance, source: dict[str, Any], since: float
) -> list[RunOutcome]:
    """Runs that finished after the read position ``source`` (updated in place), oldest first;
    on the first read, those finished after ``since`` (epoch seconds). Successes and failures
    are read in batches and merged in storage order, up to where both batches reach."""
    batches = {}
    for kind, name in ((T.RUN_SUCCESS, "success_after"), (T.RUN_FAILURE, "failure_after")):
        after = source.get(name)
        result = instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(
                event_type=cast(Any, kind),
                after_storage_id=after,
                after_timestamp=None if after is not None else since,
            ),
            limit=BATCH,
            ascending=True,
        )
        batches[name] = (kind, result.records, result.has_more)
    reach = min(
        (records[-1].storage_id for _, records, more in batches.values() if more and records),
        default=None,
    )
    found: list[tuple[int, str, bool, float]] = []
    for name, (kind, records, _) in batches.items():
        for r in records:
            if reach is None or r.storage_id <= reach:
                found.append((r.storage_id, r.run_id, kind is T.RUN_SUCCESS, r.timestamp))
                source[name] = r.storage_id
    found.sort()
    return [outcome(instance, run_id, ok, at) for _, run_id, ok, at in found]

"""The two schedules of ``monthly_pipeline``, both in Chile's time zone.

``closed_month_schedule`` — 03:00 on the 1st: the month that has just closed, once more, now
that all its hours exist (the run also re-fetches its last hours, which the service revises).
Not ``build_schedule_from_partitioned_job``: with ``end_offset=1`` the newest partition is the
open month, which that helper would pick; the closed month is computed from the tick instead.

``open_month_schedule`` — minute 10 of every hour: the open month, so the new hours (and the
re-fetch of recently closed ones, decided inside ``sec_snapshots``) reach the dashboard within
the hour. One run key per tick; a tick is skipped while the previous refresh is still running.

Both skip while the SEC circuit breaker refuses requests (``breaker_skip.py``), saying why, when
it half-opens and how to reset it: a run then would send nothing and fail.
"""

import dagster as dg

from sec_assets.automation.breaker_skip import breaker_skip_reason
from sec_assets.automation.jobs import monthly_pipeline
from sec_assets.automation.runs import TRIGGER_TAG, runs_in_flight
from sec_assets.month import SEC_TIMEZONE, Month, hourly_run_key
from sec_assets.sec_client.resource import SecClientResource


@dg.schedule(
    name="closed_month_schedule",
    cron_schedule="0 3 1 * *",
    execution_timezone=SEC_TIMEZONE,
    job=monthly_pipeline,
    description="03:00 on the 1st (Chile): materialize the month that just closed.",
)
def closed_month_schedule(
    context: dg.ScheduleEvaluationContext, sec_client: SecClientResource
) -> dg.RunRequest | dg.SkipReason:
    month = Month.at(context.scheduled_execution_time).prev()
    if month < Month.history_start():
        return dg.SkipReason(f"{month} is before the history start {Month.history_start()}")
    if reason := breaker_skip_reason(sec_client, f"{month} not requested"):
        return dg.SkipReason(reason)
    return dg.RunRequest(
        partition_key=month.key, run_key=month.key, tags={TRIGGER_TAG: "closed_month_schedule"}
    )


@dg.schedule(
    name="open_month_schedule",
    cron_schedule="10 * * * *",
    execution_timezone=SEC_TIMEZONE,
    job=monthly_pipeline,
    description="Minute 10 of every hour (Chile): refresh the open month.",
)
def open_month_schedule(
    context: dg.ScheduleEvaluationContext, sec_client: SecClientResource
) -> dg.RunRequest | dg.SkipReason:
    tick = context.scheduled_execution_time
    month = Month.at(tick)
    busy = runs_in_flight(context.instance, monthly_pipeline.name, partition_key=month.key)
    if busy:
        run = busy[0]
        return dg.SkipReason(
            f"{month} is still being refreshed by run {run.run_id[:8]} ({run.status.value}); "
            "the next tick fetches whatever it leaves behind"
        )
    if reason := breaker_skip_reason(sec_client, f"{month} not refreshed"):
        return dg.SkipReason(reason)
    return dg.RunRequest(
        partition_key=month.key,
        run_key=hourly_run_key(tick),
        tags={TRIGGER_TAG: "open_month_schedule"},
    )


schedules = [closed_month_schedule, open_month_schedule]

"""What the instance is running: the runs in flight per partition, through public APIs only."""

from collections import Counter

import dagster as dg

PARTITION_TAG = "dagster/partition"
TRIGGER_TAG = "sec_assets/trigger"  # which schedule or sensor asked for the run

# Every status of a run that has been submitted and has not finished.
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
# Submitted but not yet executing: a run in one of these states will still see new data.
NOT_YET_RUNNING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]


def runs_in_flight(
    instance: dg.DagsterInstance,
    job_name: str,
    *,
    statuses: list[dg.DagsterRunStatus] | None = None,
    partition_key: str | None = None,
    limit: int = 1000,
) -> list[dg.DagsterRun]:
    """Runs of ``job_name`` (optionally of one partition) that are queued or running."""
    tags = {PARTITION_TAG: partition_key} if partition_key is not None else None
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=job_name, statuses=statuses or IN_FLIGHT, tags=tags),
        limit=limit,
    )
    return [r.dagster_run for r in records]


def partitions_in_flight(instance: dg.DagsterInstance, job_name: str) -> Counter[str]:
    """Partition key → how many runs of ``job_name`` for it are queued or running."""
    return Counter(
        run.tags[PARTITION_TAG]
        for run in runs_in_flight(instance, job_name)
        if PARTITION_TAG in run.tags
    )

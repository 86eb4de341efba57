"""Ranged runs of the monthly silver assets: the Dagster side of :mod:`.ranged`.

A backfill of the monthly silver assets runs as a few runs of up to :data:`MAX_MONTHS_PER_RUN`
months each (``BackfillPolicy.multi_run``), not one run per month. A run of one partition (the
schedules, the UI's "Materialize" of a month) still covers exactly that month.

Asset checks stay per month: in a ranged run a check's step evaluates its SQL once per month
and reports one ``AssetCheckEvaluation`` per partition (:func:`per_month_checks`); Dagster 1.13
records each against its own partition, and a failing blocking check of any month fails the
step, which blocks the downstream assets of the whole range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import dagster as dg

from sec_assets.partitions import monthly_partitions

#: A year per run: a backfill of the whole history is ~10 runs. The episodes of a range are
#: rebuilt from its observations at once (~100k rows a month in memory), so a range is bounded.
MAX_MONTHS_PER_RUN = 12
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_MONTHS_PER_RUN)


def partition_keys(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[str]:
    """The run's monthly partition keys (``YYYY-MM-DD``), one for a single-partition run."""
    if context.has_partition_key:
        return [context.partition_key]
    return list(monthly_partitions.get_partition_keys_in_range(context.partition_key_range))


def range_months(context: dg.AssetExecutionContext) -> list[date]:
    """The first day of each month of the run, in order."""
    return [date.fromisoformat(k[:10]) for k in partition_keys(context)]


def per_month_checks(
    context: dg.AssetCheckExecutionContext,
    asset: str,
    check_name: str,
    blocking: bool,
    evaluate: Callable[[str], dg.AssetCheckResult],
) -> Iterator[dg.AssetCheckResult | dg.AssetCheckEvaluation | dg.Output]:
    """One result for a single-month run; in a ranged run one evaluation per month (each on
    its partition), then the check step's output."""
    keys = partition_keys(context)
    if context.has_partition_key:
        yield evaluate(keys[0][:7])
        return
    for key in keys:
        result = evaluate(key[:7])
        yield dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(asset),
            check_name=check_name,
            passed=result.passed,
            metadata=result.metadata,
            severity=result.severity,
            description=result.description,
            blocking=blocking,
            partition=key,
        )
    yield dg.Output(None)

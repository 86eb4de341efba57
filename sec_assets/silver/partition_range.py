"""Ranged runs of the monthly silver assets: the Dagster side of :mod:`.ranged`.

A backfill of the monthly silver assets runs as a few runs of up to :data:`MAX_MONTHS_PER_RUN`
months each (``BackfillPolicy.multi_run``), not one run per month. A run of one partition (the
schedules, the UI's "Materialize" of a month) still covers exactly that month.

Asset checks stay per month: in a ranged run the asset's step evaluates each check's SQL once
per month and reports one ``AssetCheckEvaluation`` per partition (:func:`range_check_events`);
Dagster 1.13 records each against its own partition, and a failing blocking check of any month
fails the step, which blocks the downstream assets of the whole range.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import dagster as dg

from sec_assets.month import Month

#: A year per run: a backfill of the whole history is ~10 runs. The episodes of a range are
#: rebuilt from its observations at once, in memory, so a range is bounded.
MAX_MONTHS_PER_RUN = 12
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_MONTHS_PER_RUN)
# `backfill_policy=` on an asset is a beta parameter in Dagster 1.13, used knowingly; its
# warning (printed at every import of the code location) is silenced for that parameter only.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


def range_check_events(
    context: dg.AssetExecutionContext,
    asset: str,
    evaluate: Callable[[str], list[dg.AssetCheckResult]],
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """In a ranged run, the checks of ``asset`` (declared on it, evaluated in its step) for
    every month of the range: one evaluation per check and month, recorded on that month's
    partition, then the output of each check. A failing blocking evaluation of any month fails
    the step after all are reported, which blocks the downstream assets of the whole range."""
    specs = {
        spec.name: spec
        for spec in context.assets_def.check_specs
        if spec.asset_key == dg.AssetKey(asset)
    }
    for month in Month.range_of(context):
        for result in evaluate(month.label):
            spec = specs[str(result.check_name)]
            yield dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey(asset),
                check_name=spec.name,
                passed=result.passed,
                metadata=result.metadata,
                severity=result.severity,
                description=result.description,
                blocking=spec.blocking,
                partition=month.key,
            )
    for spec in specs.values():
        output = context.assets_def.get_output_name_for_asset_check_key(spec.key)
        yield dg.Output(None, output_name=output)

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
from functools import partial

import dagster as dg

from sec_assets.month import Month
from sec_assets.silver.checks import evaluate_checks
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource

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
    months: list[Month] | None = None,
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """In a ranged run, the checks of ``asset`` (declared on it, evaluated in its step) for
    every month of the range (or of ``months``): one evaluation per selected check and month,
    recorded on that month's partition, then the output of each check. A failing blocking
    evaluation of any month fails the step after all are reported, which blocks the downstream
    assets of the whole range."""
    specs = {
        spec.name: spec
        for spec in context.assets_def.check_specs
        if spec.asset_key == dg.AssetKey(asset) and spec.key in context.selected_asset_check_keys
    }
    for month in Month.range_of(context) if months is None else months:
        for result in evaluate(month.label):
            spec = specs.get(str(result.check_name))
            if spec is None:  # evaluated and its verdict kept, but not selected in this run
                continue
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


def range_checks(
    context: dg.AssetExecutionContext, assets: tuple[str, ...], warehouse: WarehouseResource
) -> Iterator[object]:
    """Every check of ``assets`` on every month of the range, reported per month; the
    verdicts of an asset are kept in one write once its months are evaluated (a run that dies
    before leaves them unchecked, so gold leaves them out)."""
    wh, coverage = warehouse.get_warehouse(writes=True), warehouse.settings.min_month_coverage
    for asset in assets:
        verdicts: list[dict[str, object]] = []
        evaluate = partial(_evaluate_month, context, wh, asset, coverage, verdicts)
        yield from range_check_events(context, asset, evaluate)
        record_verdicts(wh, asset, verdicts)


def _evaluate_month(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    asset: str,
    coverage: float,
    verdicts: list[dict[str, object]],
    month: str,
) -> list[dg.AssetCheckResult]:
    results, rows = evaluate_checks(asset, wh, month, coverage)
    verdicts.extend(rows)
    return logged(context, results)


def logged(
    context: dg.AssetExecutionContext, results: list[dg.AssetCheckResult]
) -> list[dg.AssetCheckResult]:
    """``results``, logged; the selected ones returned (a run may select some checks only:
    every check is still evaluated after a load, and its verdict kept)."""
    for r in results:
        context.log.info(
            f"check {r.check_name}: {'passed' if r.passed else 'FAILED'}; {r.description}"
        )
    selected = context.selected_asset_check_keys
    return [r for r in results if _key(r) in selected]


def _key(result: dg.AssetCheckResult) -> dg.AssetCheckKey:
    # every silver check result names its asset
    return dg.AssetCheckKey(
        dg.AssetKey.from_coercible(result.asset_key or ""), str(result.check_name)
    )

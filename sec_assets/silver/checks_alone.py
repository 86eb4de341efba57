"""The silver checks run alone on stored months, without loading anything.

A run that selects some checks of a silver asset and none of its assets (the checks tab's
"Execute", ``python -m sec_assets check``, ``make check``) runs the asset's step, which then
only evaluates the selected checks on what the warehouse holds and keeps their verdicts in
``silver.month_checks`` (a failed blocking check leaves the month out of gold). A run of a
month or a range checks those months; a run without a partition (the checks tab launches one)
checks every month stored in ``silver.snapshot_ledger``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

import dagster as dg

from sec_assets.month import Month
from sec_assets.silver.check_events import range_check_events
from sec_assets.silver.checks import evaluate_checks
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.silver.partition_range import logged
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource


def alone(context: dg.AssetExecutionContext) -> bool:
    """Whether the step runs checks only (no asset of the step selected)."""
    return not context.selected_asset_keys


def reported(context: dg.AssetExecutionContext, events: Iterable[object]) -> Iterator[object]:
    """The step's events, for a run that selects some of its assets: the assets of one step
    are written together, so an unselected one written anyway is reported as a materialization
    of each month of the run, never left unsaid."""
    selected = context.selected_asset_keys
    for event in events:
        if isinstance(event, dg.MaterializeResult) and event.asset_key is not None:
            key = dg.AssetKey.from_coercible(event.asset_key)
            if key not in selected:
                for month in Month.range_of(context):
                    yield dg.AssetMaterialization(key, partition=month.key, metadata=event.metadata)
                continue
        yield event


def stored_months(context: dg.AssetExecutionContext, wh: Warehouse) -> list[Month]:
    """The run's months, or every month stored when the run has no partition."""
    if context.has_partition_key or context.has_partition_key_range:
        return Month.range_of(context)
    frame = wh.read("SELECT DISTINCT month FROM silver.snapshot_ledger ORDER BY month", {})
    months = [Month.parse(m) for m in frame["month"].to_list()]
    if not months:
        raise dg.Failure("no month is stored in silver.snapshot_ledger: nothing to check")
    return months


def checks_alone(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[object]:
    """The selected checks of the step's assets, on every month of the run, reported per
    month; each asset's verdicts kept in one write (the unselected checks' verdicts stay)."""
    wh, coverage = warehouse.get_warehouse(writes=True), warehouse.settings.min_month_coverage
    months = stored_months(context, wh)
    selected = context.selected_asset_check_keys
    for key in sorted({k.asset_key for k in selected}):
        asset = key.to_user_string()
        names = {k.name for k in selected if k.asset_key == key}
        verdicts: list[dict[str, object]] = []
        evaluate = partial(_evaluate, context, wh, asset, names, coverage, verdicts)
        yield from range_check_events(context, asset, evaluate, months)
        record_verdicts(wh, asset, verdicts, only=True)


def _evaluate(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    asset: str,
    names: set[str],
    coverage: float,
    verdicts: list[dict[str, object]],
    month: str,
) -> list[dg.AssetCheckResult]:
    results, rows = evaluate_checks(asset, wh, month, coverage, names)
    verdicts.extend(rows)
    return logged(context, results, month)

"""Ranged runs of the monthly silver assets: the Dagster side of :mod:`.ranged`.

A backfill of the monthly silver assets runs as a few runs of up to
:data:`~sec_assets.partitions.MAX_MONTHS_PER_RUN` months each (``BackfillPolicy.multi_run``, as
every monthly asset), not one run per month. A run of one partition (the
schedules, the UI's "Materialize" of a month) still covers exactly that month.

Asset checks stay per month: in a ranged run the asset's step evaluates each check's SQL once
per month and reports one ``AssetCheckEvaluation`` per partition
(:func:`~sec_assets.silver.check_events.range_check_events`);
Dagster 1.13 records each against its own partition, and a failing blocking check of any month
fails the step, which blocks the downstream assets of the whole range.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import partial

import dagster as dg

from sec_assets.silver.check_events import range_check_events
from sec_assets.silver.checks import evaluate_checks
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource


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
    return logged(context, results, month)


def logged(
    context: dg.AssetExecutionContext, results: list[dg.AssetCheckResult], month: str
) -> list[dg.AssetCheckResult]:
    """``results``, their verdicts logged in one line; the selected ones returned (a run may
    select some checks only: every check is still evaluated after a load, and its verdict
    kept)."""
    selected = context.selected_asset_check_keys
    if results:
        context.log.info(verdict_line(results, selected, month))
    return [r for r in results if _key(r) in selected]


def verdict_line(
    results: list[dg.AssetCheckResult], selected: Collection[dg.AssetCheckKey], month: str
) -> str:
    """One log line for an asset's checks of ``month``: each check passed or FAILED, with its
    description when it failed or when the run did not select it (a selected check's
    description is shown with its evaluation)."""
    asset = dg.AssetKey.from_coercible(results[0].asset_key or "").to_user_string()
    verdicts = []
    for r in results:
        verdict = f"{r.check_name} {'passed' if r.passed else 'FAILED'}"
        shown = r.passed and _key(r) in selected
        verdicts.append(verdict if shown else f"{verdict} ({r.description})")
    return f"checks of {asset}, {month}: " + "; ".join(verdicts)


def _key(result: dg.AssetCheckResult) -> dg.AssetCheckKey:
    # every silver check result names its asset
    return dg.AssetCheckKey(
        dg.AssetKey.from_coercible(result.asset_key or ""), str(result.check_name)
    )

"""A ranged run of the observations in which some months could not be parsed or loaded.

The run is as strong as its months: each good month is reported as materialized on its own
partition, every month of the range is checked (a failed month that holds nothing fails its
checks for want of rows), and the episodes of the good months are built and checked in the same
step, because Dagster skips the ``fact_eventos`` step once this one fails. The caller then
fails the run naming the failed months and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

import dagster as dg

from sec_assets.month import Month
from sec_assets.silver.checks import evaluate_checks
from sec_assets.silver.load import EVENTS_LOCK, EVENTS_LOCK_TIMEOUT_S, rebuild_events
from sec_assets.silver.metadata import facts_metadata, ledger_metadata
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.silver.partition_range import logged, range_checks
from sec_assets.silver.ranged import RangeLoad, range_bounds
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource


def partial_range(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    months: list[Month],
    load: RangeLoad,
) -> Iterator[object]:
    wh = warehouse.get_warehouse(writes=True)
    for month in sorted(load.loaded):
        parsed = load.loaded[month]
        yield dg.AssetMaterialization(
            "snapshot_ledger", partition=month.key, metadata=ledger_metadata(parsed.silver.ledger)
        )
        yield dg.AssetMaterialization(
            "fact_interrupciones",
            partition=month.key,
            metadata=facts_metadata(parsed.silver, parsed.raw_rows, wh),
        )
    for month, error in sorted(load.failed.items()):
        context.log.error(f"{month}: {error}")
    yield from range_checks(context, ("snapshot_ledger", "fact_interrupciones"), warehouse)
    good = [m for m in months if m in load.loaded]
    yield from _episodes(context, wh, good, warehouse.settings.min_month_coverage)


def _runs(months: list[Month]) -> list[list[Month]]:
    """``months`` (sorted) cut into runs of consecutive months."""
    # m.shift(-i) is the same month along a run of consecutive months
    keyed = [(m, m.shift(-i)) for i, m in enumerate(months)]
    return [[m for m, _ in run] for _, run in groupby(keyed, key=lambda p: p[1])]


def _episodes(
    context: dg.AssetExecutionContext, wh: Warehouse, good: list[Month], coverage: float
) -> Iterator[object]:
    """The good months' episodes, rebuilt run of consecutive months by run, then checked
    month by month (verdicts kept, so gold may count them)."""
    with wh.lock(EVENTS_LOCK, timeout_s=EVENTS_LOCK_TIMEOUT_S):
        for run in _runs(good):
            events, _ = rebuild_events(wh, *range_bounds(run))
            context.log.info(f"episodes of {run[0]}..{run[-1]}: {events.height} rebuilt")
        verdicts: list[dict[str, object]] = []
        for month in good:
            results, rows = evaluate_checks("fact_eventos", wh, month.label, coverage)
            verdicts.extend(rows)
            logged(context, results, month.label)
            yield dg.AssetMaterialization(
                "fact_eventos",
                partition=month.key,
                metadata={
                    "checks": dg.MetadataValue.json(
                        {str(r.check_name): r.description for r in results}
                    ),
                    "checks_passed": dg.MetadataValue.bool(all(r.passed for r in results)),
                },
            )
        record_verdicts(wh, "fact_eventos", verdicts)

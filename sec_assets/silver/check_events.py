"""A ranged run's check results, one ``AssetCheckEvaluation`` per check and month, each recorded
on its month's partition (the checks declared on an asset and evaluated in its step)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dagster as dg

from sec_assets.month import Month


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

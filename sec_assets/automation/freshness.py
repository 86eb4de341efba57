"""Freshness expectations on what the dashboard reads (every payload and ``dashboard_stats``) and
on the monthly bronze and silver assets the open month refreshes every hour.

``dg.FreshnessPolicy`` on the asset spec, Dagster 1.13's current API (freshness checks and
``LegacyFreshnessPolicy`` are superseded), evaluated by the daemon and shown in the UI. The
payloads are rebuilt hourly, so one older than a day means the pipeline has been failing for a
day: WARN after 25 hours, FAIL after 26. The open month's bronze and silver are refreshed every
hour (``open_month_schedule``): WARN after 3 hours, FAIL after 6 (the default of
``SEC_ALERT_BRONZE_LAG_H``). Dagster evaluates a time-window policy on the asset's newest
materialization of any partition, so a backfill of an old month counts as fresh there; the
bronze-lag alert (``alerts/``) reads the open month's own hours. :func:`with_freshness` returns
copies carrying the policies.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import TypeVar

import dagster as dg

from sec_assets.gold.assets import COMPUTE

FRESH_WARN = timedelta(hours=25)
FRESH_FAIL = timedelta(hours=26)

dashboard_freshness = dg.FreshnessPolicy.time_window(fail_window=FRESH_FAIL, warn_window=FRESH_WARN)

OPEN_MONTH_WARN = timedelta(hours=3)
OPEN_MONTH_FAIL = timedelta(hours=6)
OPEN_MONTH_ASSETS = ["sec_snapshots", "snapshot_ledger", "fact_interrupciones", "fact_eventos"]

open_month_freshness = dg.FreshnessPolicy.time_window(
    fail_window=OPEN_MONTH_FAIL, warn_window=OPEN_MONTH_WARN
)

# Asset key → the policy it must carry.
freshness_policies: dict[dg.AssetKey, dg.FreshnessPolicy] = {
    **{dg.AssetKey(name): dashboard_freshness for name in [*COMPUTE, "dashboard_stats"]},
    **{dg.AssetKey(name): open_month_freshness for name in OPEN_MONTH_ASSETS},
}

T = TypeVar("T")


def _apply(spec: dg.AssetSpec) -> dg.AssetSpec:
    policy = freshness_policies.get(spec.key)
    return spec if policy is None else spec.replace_attributes(freshness_policy=policy)


def with_freshness(assets: Iterable[T]) -> list[T]:
    """``assets`` with the freshness policy on every payload asset, ``dashboard_stats`` and the
    open month's bronze and silver; any other definition is returned as it is."""
    out: list[T] = []
    for item in assets:
        if isinstance(item, dg.AssetsDefinition) and set(item.keys) & freshness_policies.keys():
            out.append(item.map_asset_specs(_apply))  # type: ignore[arg-type]
        elif isinstance(item, dg.AssetSpec):
            out.append(_apply(item))  # type: ignore[arg-type]
        else:
            out.append(item)
    return out

"""Freshness expectations on what the dashboard reads: every payload and ``dashboard_stats``.

Dagster 1.13's current API is ``dg.FreshnessPolicy`` attached to the asset spec: the instance's
freshness daemon (part of ``dagster dev`` / ``dagster-daemon``, on by default) evaluates it and
the UI shows each asset as fresh, WARN or FAIL on its page and in the asset catalog. The older
freshness *checks* (``build_last_update_freshness_checks`` + ``build_sensor_for_freshness_checks``)
are marked superseded by it in 1.13, and ``LegacyFreshnessPolicy`` is deprecated, so neither is
used: there is no freshness check and no freshness sensor to register.

The payloads are rebuilt after every successful run of the open month (hourly), so a payload
older than a day means the pipeline has been failing for a day: WARN after 25 hours, FAIL after
26. The asset definitions stay untouched; ``with_freshness`` returns copies carrying the policy,
for ``definitions.py``::

    assets=with_freshness([sec_snapshots, ..., *payload_assets, dashboard_stats, ...])
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import TypeVar

import dagster as dg

from sec_assets.gold.assets import COMPUTE

FRESH_WARN = timedelta(hours=25)
FRESH_FAIL = timedelta(hours=26)

dashboard_freshness = dg.FreshnessPolicy.time_window(fail_window=FRESH_FAIL, warn_window=FRESH_WARN)

# Asset key → the policy it must carry.
freshness_policies: dict[dg.AssetKey, dg.FreshnessPolicy] = {
    dg.AssetKey(name): dashboard_freshness for name in [*COMPUTE, "dashboard_stats"]
}

T = TypeVar("T")


def _apply(spec: dg.AssetSpec) -> dg.AssetSpec:
    policy = freshness_policies.get(spec.key)
    return spec if policy is None else spec.replace_attributes(freshness_policy=policy)


def with_freshness(assets: Iterable[T]) -> list[T]:
    """``assets`` with the freshness policy on every payload asset and ``dashboard_stats``;
    any other definition is returned as it is."""
    out: list[T] = []
    for item in assets:
        if isinstance(item, dg.AssetsDefinition) and set(item.keys) & freshness_policies.keys():
            out.append(item.map_asset_specs(_apply))  # type: ignore[arg-type]
        elif isinstance(item, dg.AssetSpec):
            out.append(_apply(item))  # type: ignore[arg-type]
        else:
            out.append(item)
    return out


# Nothing to register as checks or sensors: the policies are evaluated by the instance.
asset_checks: list[dg.AssetChecksDefinition] = []

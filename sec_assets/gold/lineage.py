"""Gold lineage: a gold asset depends on the silver assets that write the tables its SQL reads.

What gold code reads is declared next to it (:class:`sec_assets.gold.models.Inputs`: the refs
of its models and queries); this module maps each silver table to the asset key(s) that write
it, from the silver asset definitions, in one place:

- a table named like a silver asset is written by that asset;
- ``guardrail_counts``, ``quarantine``, ``comuna_daily_customers``, ``customer_caps`` and
  ``month_cadence`` are written in the transaction of the month's observations
  (``silver/load.py``), by the multi-asset of ``snapshot_ledger``;
- ``month_checks`` (the verdicts behind the trusted months) is complete for a month once the
  last of the assets with blocking checks has been checked: the one downstream of the others
  (``fact_eventos``). A gold asset reading monthly tables for the trusted months depends on it.
"""

from __future__ import annotations

from functools import cache

import dagster as dg

from sec_assets.gold.models import Inputs
from sec_assets.gold.refs import GATE
from sec_assets.silver import assets as silver
from sec_assets.silver.checks import CHECKS
from sec_assets.silver.national import national_hourly
from sec_assets.silver.seia_assets import seia_projects

SILVER_ASSETS: tuple[dg.AssetsDefinition, ...] = (
    silver.dim_geografia,
    silver.dim_empresa,
    silver.dim_tiempo,
    silver.region_customers,
    silver.silver_observations,
    silver.fact_eventos,
    national_hourly,
    seia_projects,
)
# Tables written in the same transaction as another table's asset, keyed by that asset.
WRITTEN_WITH = {
    "guardrail_counts": "snapshot_ledger",
    "quarantine": "snapshot_ledger",
    "comuna_daily_customers": "snapshot_ledger",
    "customer_caps": "snapshot_ledger",
    "month_cadence": "snapshot_ledger",
}


def _ancestors(key: dg.AssetKey, parents: dict[dg.AssetKey, set[dg.AssetKey]]) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    todo = list(parents.get(key, ()))
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(parents.get(k, ()))
    return seen


@cache
def table_keys() -> dict[str, frozenset[dg.AssetKey]]:
    """Silver table → the asset key(s) whose materialization writes it."""
    parents = {k: set(d) for a in SILVER_ASSETS for k, d in a.asset_deps.items()}
    keys = {key.path[-1]: frozenset({key}) for key in parents}
    for table, owner in WRITTEN_WITH.items():
        keys[table] = keys[owner]
    checked = {dg.AssetKey(c.asset) for c in CHECKS if c.blocking}
    upstream = set().union(*(_ancestors(k, parents) for k in checked))
    keys[GATE] = frozenset(checked - upstream)
    return keys


def silver_deps(inputs: Inputs) -> list[dg.AssetKey]:
    """The asset keys of the silver tables ``inputs`` reads, sorted."""
    keys = table_keys()
    unknown = sorted(t for t in inputs.tables() if t not in keys)
    if unknown:
        raise KeyError(f"no silver asset writes {unknown}: add it to sec_assets.gold.lineage")
    found: set[dg.AssetKey] = set().union(*(keys[t] for t in inputs.tables()))
    return sorted(found, key=lambda k: k.to_user_string())


def sql_metadata(inputs: Inputs) -> dict[str, dg.MetadataValue]:
    """The SQL the asset runs, as written (refs included), for its definition's metadata."""
    blocks = [f"**{name}**\n\n```sql\n{sql}\n```" for name, sql in inputs.sources().items()]
    return {"sql": dg.MetadataValue.md("\n\n".join(blocks))}

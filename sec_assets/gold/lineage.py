"""Gold lineage: a gold asset depends on the silver assets that write the tables its SQL reads,
and on the gold payloads its code declares it reads.

What gold code reads is declared next to it (:class:`sec_assets.gold.models.Inputs`: the refs
of its models and queries, and the payloads it reads). Which asset writes a silver table comes
from the silver assets' own declarations (:func:`sec_assets.silver.writes.writes`, on every
asset of :data:`sec_assets.silver.registry.SILVER_ASSETS`), nothing written here:

- a table declared by an asset's spec is written by that asset; a table declared twice, or
  declared without a contract, is refused;
- ``month_checks`` (the verdicts behind the trusted months) is complete for a month once the
  last of the assets with blocking checks has been checked: the one downstream of the others.
  A gold asset reading monthly tables for the trusted months depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import dagster as dg

from sec_assets.gold.contract import DASHBOARD_IDS, RESEARCH_IDS
from sec_assets.gold.models import Inputs
from sec_assets.gold.refs import GATE, silver_tables
from sec_assets.silver.checks import CHECKS
from sec_assets.silver.registry import SILVER_ASSETS
from sec_assets.silver.writes import written

TableKeys = Mapping[str, frozenset[dg.AssetKey]]


def _ancestors(key: dg.AssetKey, parents: dict[dg.AssetKey, set[dg.AssetKey]]) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    todo = list(parents.get(key, ()))
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(parents.get(k, ()))
    return seen


def writers(assets: Iterable[dg.AssetsDefinition]) -> dict[str, frozenset[dg.AssetKey]]:
    """Silver table → the asset key whose materialization writes it, from the tables each
    asset's spec declares; ``month_checks`` → the last checked asset(s)."""
    assets = list(assets)
    keys: dict[str, frozenset[dg.AssetKey]] = {}
    for spec in (s for a in assets for s in a.specs):
        for table in written(spec):
            if table in keys:
                raise ValueError(
                    f"silver.{table} is declared written by both {spec.key.to_user_string()} "
                    f"and {next(iter(keys[table])).to_user_string()}"
                )
            if table not in silver_tables():
                raise ValueError(f"{spec.key.to_user_string()} writes silver.{table}: no contract")
            keys[table] = frozenset({spec.key})
    parents = {k: set(d) for a in assets for k, d in a.asset_deps.items()}
    checked = {dg.AssetKey(c.asset) for c in CHECKS if c.blocking} & set(parents)
    upstream = set().union(*(_ancestors(k, parents) for k in checked))
    keys[GATE] = frozenset(checked - upstream)
    return keys


@cache
def table_keys() -> dict[str, frozenset[dg.AssetKey]]:
    """Silver table → the asset key(s) whose materialization writes it (:func:`writers` of
    the silver assets)."""
    return writers(SILVER_ASSETS)


def silver_deps(inputs: Inputs, keys: TableKeys | None = None) -> list[dg.AssetKey]:
    """The asset keys of the silver tables ``inputs`` reads, sorted; a table no asset
    declares it writes is refused."""
    keys = table_keys() if keys is None else keys
    unknown = sorted(t for t in inputs.tables() if not keys.get(t))
    if unknown:
        raise KeyError(
            f"no silver asset writes {unknown}: declare it where the asset writing it is "
            "defined (sec_assets.silver.writes)"
        )
    found: set[dg.AssetKey] = set().union(*(keys[t] for t in inputs.tables()))
    return sorted(found, key=lambda k: k.to_user_string())


def deps(inputs: Inputs) -> list[dg.AssetKey]:
    """:func:`silver_deps`, then the gold payloads ``inputs`` reads (known payload ids only)."""
    known = {*DASHBOARD_IDS, *RESEARCH_IDS}
    unknown = sorted(p for p in inputs.payloads if p not in known)
    if unknown:
        raise KeyError(f"no gold payload {unknown}; payloads: {sorted(known)}")
    return [*silver_deps(inputs), *(dg.AssetKey(p) for p in inputs.payloads)]


def sql_metadata(inputs: Inputs) -> dict[str, dg.MetadataValue]:
    """The SQL the asset runs, as written (refs included), for its definition's metadata."""
    blocks = [f"**{name}**\n\n```sql\n{sql}\n```" for name, sql in inputs.sources().items()]
    return {"sql": dg.MetadataValue.md("\n\n".join(blocks))}

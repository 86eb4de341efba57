"""Gold lineage comes from the SQL: each gold asset's upstream keys in the code location are
the assets writing the tables its SQL reads (the refs of the SQL its metadata shows, each table
declared written by exactly one silver asset of the code location) and the payloads it declares
reading, nothing hand-written; every gold asset shows that SQL."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from sec_assets.definitions import defs
from sec_assets.gold import figures, trusted
from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.lineage import silver_deps, table_keys, writers
from sec_assets.gold.models import Inputs, model, model_names
from sec_assets.gold.refs import GATE, MONTHLY, silver_tables
from sec_assets.month import Month
from sec_assets.silver import assets as silver
from sec_assets.silver.checks import CHECKS
from sec_assets.silver.load import observation_steps
from sec_assets.silver.registry import SILVER_ASSETS
from sec_assets.silver.transform import SilverMonth
from sec_assets.silver.writes import writes, written
from sec_assets_tests.cli import REPO

GRAPH = defs.resolve_asset_graph()
GOLD = sorted(k.path[-1] for k in GRAPH.get_all_asset_keys() if GRAPH.get(k).group_name == "gold")
SILVER = sorted(
    k.path[-1] for k in GRAPH.get_all_asset_keys() if GRAPH.get(k).group_name == "silver"
)
# The assets calling trusted.excluded_months (their metadata, or the golden file, depend on it).
READ_VERDICTS = {*COMPUTE, "golden_eventos", "recent_30d"}
REF = re.compile(
    r"\{\{\s*ref\(\s*'(\w+)'\s*(,\s*months\s*=\s*'all'\s*)?(,\s*cadence\s*=\s*'finest'\s*)?\)\s*\}\}"
)


def parents(name: str) -> set[str]:
    return {k.path[-1] for k in GRAPH.get(dg.AssetKey(name)).parent_keys}


def declared_writers() -> dict[str, list[str]]:
    """Table → the silver assets of the code location whose definition declares writing it."""
    found: dict[str, list[str]] = {}
    for name in SILVER:
        spec = defs.get_assets_def(name).specs_by_key[dg.AssetKey(name)]
        for table in written(spec):
            found.setdefault(table, []).append(name)
    return found


def gate_writers() -> set[str]:
    """The assets with blocking checks that no other such asset depends on: once they are
    checked, a month's verdicts are complete."""
    checked = {c.asset for c in CHECKS if c.blocking}
    upstream = {
        k.path[-1] for name in checked for k in GRAPH.get_ancestor_asset_keys(dg.AssetKey(name))
    }
    return checked - upstream


def shown_sql(name: str) -> str:
    spec = defs.get_assets_def(name).specs_by_key[dg.AssetKey(name)]
    value = spec.metadata["sql"]
    assert isinstance(value, dg.MarkdownMetadataValue)
    return value.md_str


def expected_parents(sql: str) -> set[str]:
    refs = REF.findall(re.sub(r"--[^\n]*", "", sql))
    tables = {t for t, _, _ in refs}
    if any(t in MONTHLY and not every_month for t, every_month, _ in refs):
        tables.add("month_checks")
    if any(finest for _, _, finest in refs):
        tables.add("month_cadence")  # the cadence of each month, to keep the finest
    declared = declared_writers()
    found = set()
    for table in tables:
        if table == GATE:
            found |= gate_writers()
            continue
        assert len(declared.get(table, [])) == 1, (table, declared.get(table))
        found |= set(declared[table])
    return found


def test_market_map_depends_on_what_it_reads_only() -> None:
    assert parents("market_map") == {
        "fact_eventos",
        "region_customers",
        "dim_geografia",
        "dim_empresa",
        "snapshot_ledger",  # the month verdicts of its excluded_months metadata
    }
    assert parents("golden_eventos") == {
        "fact_eventos",
        "fact_interrupciones",  # the observation grain: its facts, caps and cadence
        "dim_geografia",
        "dim_empresa",
        "dim_tiempo",
        "snapshot_ledger",
    }


def test_every_gold_asset_reading_the_verdicts_declares_them() -> None:
    """An asset calling excluded_months reads snapshot_ledger and month_checks: its metadata
    shows that SQL and its deps include their writers."""
    verdicts = trusted.INPUTS.sources()
    writers = expected_parents("\n".join(verdicts.values()))
    assert writers == {"snapshot_ledger", "fact_eventos"}
    for name in READ_VERDICTS:
        shown = shown_sql(name)
        assert all(sql in shown for sql in verdicts.values()), name
        assert parents(name) >= writers, name


def test_every_gold_asset_depends_on_the_tables_its_sql_reads() -> None:
    assert len(GOLD) == 13
    for name in GOLD:
        if name == "dashboard_stats":
            # Every payload, recent_30d's (its asset writes it) included.
            assert parents(name) == set(GOLD) - {"dashboard_stats", "golden_eventos", "figures"}
            continue
        # the payloads the code declares reading (figures redraws reliability_indices' rows)
        gold = set(figures.INPUTS.payloads) if name == "figures" else set()
        assert parents(name) == expected_parents(shown_sql(name)) | gold, name
    assert set(figures.INPUTS.payloads) == {"reliability_indices"}


def test_every_gold_asset_shows_its_sql() -> None:
    shown = {name: shown_sql(name) for name in GOLD if name != "dashboard_stats"}
    assert all("```sql" in md for md in shown.values())
    for name in set(model_names()) & set(GOLD):
        assert model(name).source in shown[name]
    assert model("region_daily_episodes").source in shown["reliability_indices"]
    assert "months='all'" in shown["data_coverage"]


def test_every_silver_table_has_exactly_one_declared_writer() -> None:
    """Every silver asset of the code location declares what it writes; every silver table
    with a contract but the verdicts is declared by exactly one of them; the lineage's map is
    those declarations and the gate's writer, the last checked asset."""
    assert {a.key.path[-1] for d in SILVER_ASSETS for a in d.specs} == set(SILVER)
    declared = declared_writers()
    for name in SILVER:
        spec = defs.get_assets_def(name).specs_by_key[dg.AssetKey(name)]
        assert written(spec)[0] == name, name  # its own table first
    assert set(declared) == silver_tables() - {GATE}
    assert all(len(w) == 1 for w in declared.values()), declared
    keys = {t: {k.path[-1] for k in ks} for t, ks in table_keys().items()}
    assert keys == {**{t: set(w) for t, w in declared.items()}, GATE: gate_writers()}
    assert gate_writers() == {"fact_eventos"}


def test_the_declared_tables_are_what_the_observations_load_writes() -> None:
    """The two assets of the month's observations declare exactly the tables its transaction
    replaces (the verdicts, emptied there, are the checks')."""
    empty = SilverMonth(*(pl.DataFrame() for _ in fields(SilverMonth)))
    steps = {step.table for step in observation_steps(empty, Month(2024, 8))}
    declared = {t for spec in silver.silver_observations.specs for t in written(spec)}
    assert steps - {GATE} == declared


def test_a_table_no_asset_writes_fails_loudly() -> None:
    """Gold SQL reading a table that no silver asset declares writing cannot be defined."""
    without = writers(a for a in SILVER_ASSETS if a is not silver.silver_observations)
    reading = Inputs(queries={"q": "SELECT * FROM {{ ref('quarantine') }} q"})
    assert silver_deps(reading) == [dg.AssetKey("snapshot_ledger")]
    with pytest.raises(KeyError, match="quarantine"):
        silver_deps(reading, without)


def test_a_table_declared_by_two_assets_is_refused() -> None:
    twice = dg.AssetSpec("other", metadata=writes("quarantine"))
    with pytest.raises(ValueError, match="quarantine"):
        writers([*SILVER_ASSETS, dg.AssetsDefinition(specs=[twice])])


def test_the_cli_shows_the_derived_parents() -> None:
    """``dagster asset list --select +<asset>`` (what a deployment loads) lists the figures'
    parents: the writers of what its SQL reads and the payload it declares reading."""
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "list"]
    command += ["-m", "sec_assets.definitions", "--select", "+figures"]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    listed = set(proc.stdout.split())
    writers_read = expected_parents(shown_sql("figures"))
    assert listed == {"figures", "reliability_indices", *writers_read}
    assert {"snapshot_ledger", "fact_eventos", "dim_geografia"} <= listed

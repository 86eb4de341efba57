"""Gold lineage comes from the SQL: each gold asset's upstream keys in the code location are
the assets writing the tables its SQL reads (the refs of the SQL its metadata shows), nothing
hand-written; every gold asset shows that SQL."""

from __future__ import annotations

import re

import dagster as dg

from sec_assets.definitions import defs
from sec_assets.gold import trusted
from sec_assets.gold.assets import COMPUTE
from sec_assets.gold.lineage import table_keys
from sec_assets.gold.models import model, model_names
from sec_assets.gold.refs import MONTHLY, silver_tables

GRAPH = defs.resolve_asset_graph()
GOLD = sorted(k.path[-1] for k in GRAPH.get_all_asset_keys() if GRAPH.get(k).group_name == "gold")
# dashboard_stats publishes the payloads (no SQL); figures also draws reliability_indices.
GOLD_PARENTS = {"dashboard_stats": None, "figures": {"reliability_indices"}}
# Silver tables written by an asset named otherwise; month_checks: complete once fact_eventos,
# the last monthly asset with blocking checks, has been checked.
WRITER = dict.fromkeys(
    ("guardrail_counts", "quarantine", "comuna_daily_customers", "customer_caps", "month_cadence"),
    "snapshot_ledger",
)
WRITER["month_checks"] = "fact_eventos"
# The assets calling trusted.excluded_months (their metadata, or the golden file, depend on it).
READ_VERDICTS = {*COMPUTE, "golden_eventos", "recent_30d"}
REF = re.compile(
    r"\{\{\s*ref\(\s*'(\w+)'\s*(,\s*months\s*=\s*'all'\s*)?(,\s*cadence\s*=\s*'finest'\s*)?\)\s*\}\}"
)


def parents(name: str) -> set[str]:
    return {k.path[-1] for k in GRAPH.get(dg.AssetKey(name)).parent_keys}


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
    return {WRITER.get(t, t) for t in tables}


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
        gold = GOLD_PARENTS.get(name) or set()
        assert parents(name) == expected_parents(shown_sql(name)) | gold, name


def test_every_gold_asset_shows_its_sql() -> None:
    shown = {name: shown_sql(name) for name in GOLD if name != "dashboard_stats"}
    assert all("```sql" in md for md in shown.values())
    for name in set(model_names()) & set(GOLD):
        assert model(name).source in shown[name]
    assert model("region_daily_episodes").source in shown["reliability_indices"]
    assert "months='all'" in shown["data_coverage"]


def test_every_silver_table_has_a_writer() -> None:
    keys = table_keys()
    assert set(keys) >= silver_tables()
    for table in silver_tables():
        assert {k.path[-1] for k in keys[table]} == {WRITER.get(table, table)}, table

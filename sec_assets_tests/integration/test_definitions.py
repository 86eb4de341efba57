"""The code location loads, with exactly the assets, checks, jobs, schedules and sensors
expected (a renamed or dropped one is a contract change)."""

import dagster as dg

from sec_assets.definitions import defs
from sec_assets.resource_settings import StorageResource

ASSETS = {
    "sec_snapshots",
    "sec_customers",
    "sec_seed_import",
    "sec_national_series",
    "national_hourly",
    "bronze_archive",
    "dim_geografia",
    "dim_empresa",
    "dim_tiempo",
    "region_customers",
    "snapshot_ledger",
    "fact_interrupciones",
    "fact_eventos",
    "seia_projects",
    "market_map",
    "time_series",
    "company_ranking",
    "investment_roi",
    "investment_validation",
    "eda_quality_stats",
    "eda_projects_dist",
    "reliability_indices",
    "data_coverage",
    "dashboard_stats",
    "golden_eventos",
    "recent_30d",
    "figures",
    "research_release",
}
CHECKS = {
    ("fact_interrupciones", "keys_and_measures_not_null"),
    ("fact_interrupciones", "every_foreign_key_resolves"),
    ("fact_interrupciones", "hash_id_unique"),
    ("fact_interrupciones", "customers_within_region_total"),
    ("snapshot_ledger", "month_coverage_above_threshold"),
    ("snapshot_ledger", "no_degraded_or_empty_hours"),
    ("fact_eventos", "evento_id_unique"),
    ("fact_eventos", "episodes_do_not_overlap"),
    ("fact_eventos", "episode_measures_are_consistent"),
    ("national_hourly", "national_series_agrees_with_hourly_sums"),
}


def test_asset_keys_checks_and_automation() -> None:
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == CHECKS
    assert {j.name for j in defs.jobs or []} >= {
        "monthly_pipeline",
        "gold_refresh",
        "reset_sec_breaker",
        "silver_checks",
        "archive_bronze",
        "import_seed",
    }
    assert {s.name for s in defs.schedules or []} == {
        "closed_month_schedule",
        "open_month_schedule",
    }
    assert {s.name for s in defs.sensors or []} == {
        "incomplete_months_sensor",
        "run_alerts_sensor",
        "breaker_alerts_sensor",
        "freshness_alerts_sensor",
        "coverage_alerts_sensor",
    }
    assert set(defs.resources or {}) == {
        "storage",
        "sec_client",
        "bronze",
        "warehouse",
        "dashboard",
    }


def test_the_code_location_wires_one_storage() -> None:
    resources = defs.resources or {}
    storage = resources["storage"]
    assert isinstance(storage, StorageResource)
    for key in ("sec_client", "bronze", "warehouse", "dashboard"):
        assert resources[key].storage is storage, key


def test_groups_and_partitions() -> None:
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {a for a, g in groups.items() if g == "bronze"} == {
        "sec_snapshots",
        "sec_customers",
        "sec_seed_import",
        "sec_national_series",
        "bronze_archive",
    }
    assert groups["fact_eventos"] == "silver" and groups["market_map"] == "gold"
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:sec-data-platform"], key
        assert node.description and node.kinds, key
    monthly = {
        k.to_user_string()
        for k in graph.get_all_asset_keys()
        if graph.get(k).partitions_def is not None
    }
    assert monthly == {
        "sec_snapshots",
        "sec_customers",
        "sec_seed_import",
        "sec_national_series",
        "national_hourly",
        "region_customers",
        "snapshot_ledger",
        "fact_interrupciones",
        "fact_eventos",
        "golden_eventos",
    }
    assert isinstance(
        graph.get(dg.AssetKey("fact_eventos")).partitions_def, dg.MonthlyPartitionsDefinition
    )


def test_materialize_all_leaves_out_maintenance_the_optional_import_and_releases() -> None:
    """What the UI's "Materialize all" selects: every executable asset that is not observable
    (``optionsForExecuteButton``, dagster-webserver 1.13). The archive, the seed import and the
    research release are on the graph but written only by their jobs."""
    graph = defs.resolve_asset_graph()
    executable = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_executable
    }
    assert executable == ASSETS - {"bronze_archive", "sec_seed_import", "research_release"}
    archive = defs.resolve_job_def("archive_bronze")
    seed = defs.resolve_job_def("import_seed")
    release = defs.resolve_job_def("release_research")
    assert [n.name for n in archive.nodes] == ["bronze_archive"]
    assert [n.name for n in seed.nodes] == ["sec_seed_import"]
    assert [n.name for n in release.nodes] == ["research_release"]
    assert release.partitions_def is None
    assert seed.partitions_def is not None and archive.partitions_def is None


def test_a_months_steps_are_its_assets_and_run_in_the_runs_process() -> None:
    """Checks run inside their assets' steps (no step, no process per check), and runs use the
    in-process executor: a month's wall time stays near its compute (``make bench``)."""
    assert defs.executor is dg.in_process_executor
    job = defs.resolve_job_def("monthly_pipeline")
    steps = {node.name for node in job.graph.node_defs}
    assert steps == {
        "sec_snapshots",
        "sec_customers",
        "region_customers",
        "silver_observations",
        "fact_eventos",
        "golden_eventos",
        "sec_national_series",
        "national_hourly",
    }
    graph = defs.resolve_asset_graph()
    in_steps = {k.name for a in graph.assets_defs for k in a.check_keys}
    assert in_steps == {name for _, name in CHECKS}


def test_both_assets_of_silver_observations_share_their_parents() -> None:
    """Required for a range backfill of the pair from the UI (issue 9, item 1)."""
    graph = defs.resolve_asset_graph()
    parents = {
        name: {p.to_user_string() for p in graph.get(dg.AssetKey(name)).parent_keys}
        for name in ("snapshot_ledger", "fact_interrupciones")
    }
    assert parents["snapshot_ledger"] == parents["fact_interrupciones"]

"""Gold follows any new silver month, however it was materialized (issue 9, item 2):
declarative automation on the gold assets, evaluated as the automation sensor does."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from sec_assets.definitions import defs
from sec_assets.gold.assets import COMPUTE

# Everything over silver (eda_projects_dist reads only the SEIA list), the publication and the
# figures: what gold_refresh runs by hand.
GOLD = {*COMPUTE, "dashboard_stats", "recent_30d", "figures"} - {"eda_projects_dist"}


def requested(result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    return {
        key for key in (GOLD | {"golden_eventos"}) if result.get_num_requested(dg.AssetKey(key))
    }


def test_a_silver_month_materialized_anywhere_triggers_the_gold_refresh(tmp_path: Path) -> None:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        idle = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert requested(idle) == set()  # nothing new upstream: nothing to do
        # A month loaded outside monthly_pipeline (the asset graph, a backfill, the CLI).
        for asset in ("snapshot_ledger", "fact_interrupciones", "fact_eventos"):
            instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition="2024-05"))
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=idle.cursor)
        assert requested(after) == GOLD | {"golden_eventos"}
        assert after.get_requested_partitions(dg.AssetKey("golden_eventos")) == {"2024-05"}


def test_the_month_verdicts_read_for_metadata_alone_request_nothing(tmp_path: Path) -> None:
    """Every payload depends on snapshot_ledger and fact_eventos (excluded_months reads the
    ledger and the verdicts), but only what its rows read re-runs it: a ledger reloaded alone
    requests the assets whose SQL reads the ledger or the month_cadence written with it (the
    sums of peaks keep to the finest cadence), not eda_projects_dist."""
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        idle = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        instance.report_runless_asset_event(
            dg.AssetMaterialization("snapshot_ledger", partition="2024-05")
        )
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=idle.cursor)
        assert requested(after) == {
            "company_ranking",
            "market_map",
            "time_series",
            "data_coverage",
            "eda_quality_stats",
            "investment_roi",
            "investment_validation",
            "reliability_indices",
            "recent_30d",
            "figures",
            "dashboard_stats",
        }

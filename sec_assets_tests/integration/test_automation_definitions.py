"""The automation resolves against the real code location: jobs, schedules, sensors, freshness."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from sec_assets import automation
from sec_assets.automation.jobs import GOLD_REFRESH_ASSETS, MONTHLY_ASSETS
from sec_assets.gold.assets import COMPUTE
from sec_assets.partitions import monthly_partitions


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from sec_assets.definitions import defs as base

    return dg.Definitions(
        assets=automation.with_freshness(base.assets or []),
        asset_checks=base.asset_checks,
        jobs=automation.jobs,
        schedules=automation.schedules,
        sensors=automation.sensors,
        resources=base.resources,
    )


ALERT_SENSORS = [
    "run_alerts_sensor",
    "breaker_alerts_sensor",
    "freshness_alerts_sensor",
    "coverage_alerts_sensor",
]


def keys(job: dg.JobDefinition) -> set[str]:
    return {k.to_user_string() for k in job.asset_layer.executable_asset_keys}


def test_every_job_schedule_and_sensor_resolves(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)
    monthly = defs.resolve_job_def("monthly_pipeline")
    assert monthly.partitions_def == monthly_partitions
    assert keys(monthly) == set(MONTHLY_ASSETS)
    gold = defs.resolve_job_def("gold_refresh")
    assert gold.partitions_def is None
    assert keys(gold) == set(GOLD_REFRESH_ASSETS)
    assert set(GOLD_REFRESH_ASSETS) == {*COMPUTE, "dashboard_stats", "recent_30d", "figures"}
    for name in ("closed_month_schedule", "open_month_schedule"):
        assert defs.resolve_schedule_def(name).job_name == "monthly_pipeline"
    assert defs.resolve_sensor_def("incomplete_months_sensor").job_name == "monthly_pipeline"
    # The alert sensors launch nothing and run by default: with no channel they only log.
    for name in ALERT_SENSORS:
        sensor = defs.resolve_sensor_def(name)
        assert not sensor.targets and sensor.default_status is dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_sensor_def("incomplete_months_sensor").default_status is (
        dg.DefaultSensorStatus.STOPPED
    )


def test_jobs_retry_steps_with_backoff_and_jitter(defs: dg.Definitions) -> None:
    for name in ("monthly_pipeline", "gold_refresh"):
        policy = defs.resolve_job_def(name).op_retry_policy
        assert policy is not None and policy.max_retries >= 2
        assert policy.backoff is dg.Backoff.EXPONENTIAL and policy.jitter is dg.Jitter.PLUS_MINUS


def test_the_monthly_tick_is_a_valid_partition_of_the_resolved_job(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("closed_month_schedule")
    when = datetime(2024, 9, 1, 3, tzinfo=ZoneInfo("America/Santiago"))
    with dg.build_schedule_context(
        scheduled_execution_time=when,
        repository_def=defs.get_repository_def(),
        resources=defs.resources,  # the schedule reads the breaker through sec_client
    ) as context:
        data = schedule.evaluate_tick(context)
    assert [r.partition_key for r in data.run_requests or []] == ["2024-08"]


def test_payloads_and_the_open_months_bronze_and_silver_carry_a_freshness_policy(
    defs: dg.Definitions,
) -> None:
    graph = defs.resolve_asset_graph()
    gold = dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
    )
    hourly = dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=6), warn_window=timedelta(hours=3)
    )
    open_month = ["sec_snapshots", "snapshot_ledger", "fact_interrupciones", "fact_eventos"]
    expected = {
        **dict.fromkeys([*COMPUTE, "dashboard_stats"], gold),
        **dict.fromkeys(open_month, hourly),
    }
    for name, policy in expected.items():
        assert graph.get(dg.AssetKey(name)).freshness_policy == policy, name
    for name in ["sec_customers", "golden_eventos", "recent_30d", "dim_geografia"]:
        assert graph.get(dg.AssetKey(name)).freshness_policy is None, name
    # Applying twice changes nothing (definitions.py may wrap already wrapped assets).
    again = automation.with_freshness(automation.with_freshness(defs.assets or []))
    specs = [s for a in again if isinstance(a, dg.AssetsDefinition) for s in a.specs]
    fresh = {s.key.to_user_string(): s.freshness_policy for s in specs if s.freshness_policy}
    assert fresh == expected

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
        asset_checks=[*(base.asset_checks or []), *automation.asset_checks],
        jobs=automation.jobs,
        schedules=automation.schedules,
        sensors=automation.sensors,
        resources=base.resources,
    )


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
    assert defs.resolve_sensor_def("gold_refresh_sensor").job_name == "gold_refresh"


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
    assert [r.partition_key for r in data.run_requests or []] == ["2024-08-01"]


def test_every_payload_and_dashboard_stats_carry_a_freshness_policy(
    defs: dg.Definitions,
) -> None:
    graph = defs.resolve_asset_graph()
    expected = dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
    )
    for name in [*COMPUTE, "dashboard_stats"]:
        assert graph.get(dg.AssetKey(name)).freshness_policy == expected, name
    for name in ["sec_snapshots", "fact_eventos", "golden_eventos", "recent_30d"]:
        assert graph.get(dg.AssetKey(name)).freshness_policy is None, name
    # Applying twice changes nothing (definitions.py may wrap already wrapped assets).
    again = automation.with_freshness(automation.with_freshness(defs.assets or []))
    specs = [s for a in again if isinstance(a, dg.AssetsDefinition) for s in a.specs]
    fresh = {s.key.to_user_string() for s in specs if s.freshness_policy == expected}
    assert fresh == {*COMPUTE, "dashboard_stats"}


@dg.op
def _noop() -> None:
    pass


@dg.job(name="monthly_pipeline_stand_in")
def _stand_in() -> None:
    _noop()


def test_gold_refresh_follows_a_successful_month_and_coalesces() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        result = _stand_in.execute_in_process(
            instance=instance, tags={"dagster/partition": "2024-08-01"}
        )
        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        context = dg.build_run_status_sensor_context(
            sensor_name="gold_refresh_sensor",
            dagster_event=result.get_run_success_event(),
            dagster_instance=instance,
            dagster_run=run,
        )
        request = automation.gold_refresh_sensor(context)
        assert isinstance(request, dg.RunRequest)
        assert request.run_key == f"after:{run.run_id}"
        assert request.tags["sec_assets/after_month"] == "2024-08"

        instance.add_run(
            dg.DagsterRun(job_name="gold_refresh", status=dg.DagsterRunStatus.NOT_STARTED)
        )
        skipped = automation.gold_refresh_sensor(context)
        assert isinstance(skipped, dg.SkipReason)
        assert "already waiting" in (skipped.skip_message or "")

"""A failed blocking check is a verdict, not a transient failure: neither the op retry policy
nor whole-run retries run it again (issue 9.5: it used to leave duplicate failed runs); run
retries stay on for runs that crash."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from sec_assets.automation.jobs import MONTHLY_RETRY, RUN_RETRY_TAGS, gold_refresh, monthly_pipeline

CONFIG = Path(__file__).resolve().parents[2] / "config"
TAG = "dagster/retry_on_asset_or_op_failure"


@dg.asset(check_specs=[dg.AssetCheckSpec("never_negative", asset="tiny", blocking=True)])
def tiny() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        check_results=[dg.AssetCheckResult(passed=False, description="-1 customers")]
    )


@dg.asset(deps=[tiny])
def downstream() -> None:
    raise AssertionError("must not run after a failed blocking check")


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster_postgres.yaml"])
def test_instances_retry_runs_only_when_they_crash(name: str) -> None:
    settings = yaml.safe_load((CONFIG / name).read_text())["run_retries"]
    assert settings == {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False}


def test_both_jobs_say_so_on_their_runs_too() -> None:
    for job in (monthly_pipeline, gold_refresh):
        assert job.tags[TAG] == "false"


def test_a_failed_blocking_check_runs_once(tmp_path: Path) -> None:
    job = dg.define_asset_job(
        "checked", selection=[tiny, downstream], op_retry_policy=MONTHLY_RETRY, tags=RUN_RETRY_TAGS
    )
    defs = dg.Definitions(assets=[tiny, downstream], jobs=[job])
    overrides = {
        "run_retries": yaml.safe_load((CONFIG / "dagster.yaml").read_text())["run_retries"]
    }
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        result = defs.resolve_job_def("checked").execute_in_process(
            instance=instance, raise_on_error=False
        )
        events = [e.event_type_value for e in result.all_events]
        run = instance.get_run_by_id(result.run_id)
    assert not result.success and run is not None and run.tags[TAG] == "false"
    assert "STEP_UP_FOR_RETRY" not in events  # the op retry policy does not retry it
    assert events.count("STEP_FAILURE") == 1
    assert "downstream" not in {e.step_key for e in result.all_events if e.is_step_success}

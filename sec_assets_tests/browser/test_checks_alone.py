"""The checks tab's "Execute all" on a stored month, through GraphQL exactly as the UI calls it
(``ExecuteChecksButton``, dagster-webserver 1.13): a month is materialized first, then the
checks of ``fact_interrupciones`` are executed alone. The run holds the checks only, evaluates
every one of them on the stored month, and materializes nothing.

No browser is needed: this talks to ``dagster dev`` (webserver and daemon) through GraphQL only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from sec_assets_tests.browser.conftest import dagster_dev
from sec_assets_tests.browser.harness import DagsterUI
from sec_assets_tests.browser.test_ui import (
    LAUNCH_MUTATION,
    PARTITION,
    RUN_TIMEOUT_S,
    SELECTION,
    TERMINAL,
    execution_params,
)

pytestmark = [pytest.mark.browser, pytest.mark.deployment, pytest.mark.timeout(3 * RUN_TIMEOUT_S)]

ASSET = "fact_interrupciones"
# What the checks tab asks of each check (ExecuteChecksButtonCheckFragment) and of the asset.
CHECKS_QUERY = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {
  ... on AssetNode { assetKey { path } jobNames repository { name location { name } }
    assetChecksOrError { ... on AssetChecks { checks { name canExecuteIndividually jobNames } } }
  } } }"""
RUN_QUERY = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run {
  id status assetSelection { path } assetCheckSelection { assetKey { path } name }
  stepStats { stepKey status } } } }"""
MATERIALIZATIONS = """query($key: AssetKeyInput!) { assetOrError(assetKey: $key) {
  ... on Asset { assetMaterializations(partitions: ["2024-08"]) { runId } } } }"""
CHECK_EXECUTIONS = """query($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 20) {
    runId status partition evaluation { success } } }"""


def wait_for(ui: DagsterUI, run_id: str) -> dict[str, Any]:
    started, run = time.monotonic(), {}
    while time.monotonic() - started < RUN_TIMEOUT_S:
        run = ui.graphql(RUN_QUERY, {"id": run_id})["runOrError"]
        if run["status"] in TERMINAL:
            return run
        time.sleep(1)
    raise AssertionError(f"run {run_id} still {run.get('status')}\n{ui.log_tail()}")


def launch(ui: DagsterUI, params: dict[str, Any]) -> dict[str, Any]:
    launched = ui.graphql(LAUNCH_MUTATION, {"executionParams": params})
    result = launched["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return wait_for(ui, result["run"]["id"])


def execute_all_params(node: dict[str, Any]) -> dict[str, Any]:
    """What ExecuteChecksButton's ``onClick`` builds (its ``launchable`` checks, the job the
    checks share), with the tag ``paramsWithUIExecutionTags`` adds."""
    checks = node["assetChecksOrError"]["checks"]
    launchable = [c for c in checks if c["canExecuteIndividually"] == "CAN_EXECUTE"]
    assert launchable == checks, "the UI says: This check cannot execute without materializing"
    common = [j for j in checks[0]["jobNames"] if all(j in c["jobNames"] for c in checks)]
    return {
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "dagster/from_ui", "value": "true"}]},
        "runConfigData": "{}",
        "selector": {
            "jobName": common[0] if common else node["jobNames"][0],
            "repositoryLocationName": node["repository"]["location"]["name"],
            "repositoryName": node["repository"]["name"],
            "assetSelection": [],
            "assetCheckSelection": [
                {"assetKey": {"path": node["assetKey"]["path"]}, "name": c["name"]}
                for c in launchable
            ],
        },
    }


@pytest.fixture(scope="module")
def ui() -> Iterator[DagsterUI]:
    with dagster_dev() as handle:
        month = launch(handle, execution_params(handle, SELECTION, PARTITION))
        assert month["status"] == "SUCCESS", (month, handle.log_tail())
        yield handle


def materializations(ui: DagsterUI) -> int:
    asset = ui.graphql(MATERIALIZATIONS, {"key": {"path": [ASSET]}})["assetOrError"]
    return len(asset["assetMaterializations"])


def test_execute_all_on_the_checks_tab_checks_the_stored_month_alone(ui: DagsterUI) -> None:
    node = ui.graphql(CHECKS_QUERY, {"key": {"path": [ASSET]}})["assetNodeOrError"]
    names = {c["name"] for c in node["assetChecksOrError"]["checks"]}
    before = materializations(ui)
    run = launch(ui, execute_all_params(node))
    assert run["status"] == "SUCCESS", (run, ui.log_tail())
    assert not run["assetSelection"]  # no asset: checks only
    assert {c["name"] for c in run["assetCheckSelection"]} == names
    assert [s["stepKey"] for s in run["stepStats"]] == ["silver_observations"]
    assert materializations(ui) == before == 1
    for name in names:
        executions = ui.graphql(CHECK_EXECUTIONS, {"key": {"path": [ASSET]}, "name": name})
        mine = [e for e in executions["assetCheckExecutions"] if e["runId"] == run["id"]]
        # The button launches the run without a partition: Dagster plans one unpartitioned
        # execution per check (marked skipped at the end); the evaluation is the stored month's.
        by_partition = {e["partition"]: e for e in mine}
        assert by_partition[PARTITION]["status"] == "SUCCEEDED", (name, mine)
        assert by_partition[PARTITION]["evaluation"]["success"], (name, mine)
        assert set(by_partition) <= {PARTITION, None}, (name, mine)

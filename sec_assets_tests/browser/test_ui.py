"""The Dagster UI, seen by headless Chromium: the asset graph shows every layer, and one month,
bronze → gold, launched the way the README's first UI section says (Jobs → ``monthly_pipeline``
→ "Materialize all…" → partition ``2024-08`` → "Launch 1 run"), through the GraphQL calls those
clicks make, runs with its checks, all visible on the run page and the asset's checks tab."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from sec_assets_tests.browser.harness import Chromium, DagsterUI

# The first test pays for starting `dagster dev` and a month run (~1-2 min idle).
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PARTITION = "2024-08"
LOCATION = "sec_assets"
REPOSITORY = "__repository__"  # the repository a Definitions object becomes
GROUPS = ("bronze", "silver", "gold")
JOB = "monthly_pipeline"  # the README's "One month, bronze → gold"
# The silver chain of one month, with the dimensions its checks join against (what a user
# selecting by hand in the global graph launches; the monthly loads also write them).
SELECTION = [
    "dim_geografia",
    "dim_empresa",
    "dim_tiempo",
    "sec_snapshots",
    "sec_customers",
    "region_customers",
    "snapshot_ledger",
    "fact_interrupciones",
    "fact_eventos",
]
RUN_TIMEOUT_S = 450  # a month at 1 hour a day runs in ~30-60 s; 3x margin and more

# Verbatim from the UI's LaunchAssetExecutionButton (dagster-webserver 1.13), plus PythonError.
LAUNCH_MUTATION = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { id pipelineName } }
    ... on PipelineNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
  }
}"""
ASSET_NODES_QUERY = """query($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) {
  assetKey { path } groupName jobNames
  assetChecksOrError { ... on AssetChecks { checks { name jobNames
    executionForLatestMaterialization { runId status partition
      evaluation { success severity description } } } } } } }"""
RUN_QUERY = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run {
  id status tags { key value } assetSelection { path }
  stepStats { stepKey status } } } }"""
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}
# Verbatim from the UI (ui-core/src/launchpad/ConfigFetch.tsx, dagster-webserver 1.13), with
# PythonErrorFragment inlined: what the partitions dialog asks of the picked partition before it
# launches one run ("Could not find partition" when the picker's key is not a partition key).
PARTITION_CONFIG_QUERY = """
query ConfigPartitionForAssetJobQuery($repositoryName: String!, $repositoryLocationName: String!,
    $jobName: String!, $partitionName: String!, $assetKeys: [AssetKeyInput!]!) {
  pipelineOrError(params: {pipelineName: $jobName, repositoryName: $repositoryName,
      repositoryLocationName: $repositoryLocationName}) {
    ... on Pipeline { id
      partition(partitionName: $partitionName, selectedAssetKeys: $assetKeys) { name
        runConfigOrError { ... on PartitionRunConfig { yaml } ... on PythonError { message } }
        tagsOrError { ... on PartitionTags { results { key value } }
          ... on PythonError { message } } } } } }"""


@dataclass(frozen=True)
class LaunchedRun:
    run_id: str
    run: dict[str, Any]  # as the UI's run query sees it once the run has finished


def asset_nodes(ui: DagsterUI, keys: list[str] | None = None) -> list[dict[str, Any]]:
    variables = {"keys": [{"path": [k]} for k in keys]} if keys is not None else {}
    return ui.graphql(ASSET_NODES_QUERY, variables)["assetNodes"]


def execution_params(ui: DagsterUI, assets: list[str], partition: str) -> dict[str, Any]:
    """What ``executionParamsForAssetJob`` builds: the implicit asset job, the assets and every
    check on them, the partition as a tag, empty run config."""
    checks = [
        {"assetKey": {"path": node["assetKey"]["path"]}, "name": check["name"]}
        for node in asset_nodes(ui, assets)
        for check in node["assetChecksOrError"]["checks"]
    ]
    return {
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
        "runConfigData": "{}",
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "pipelineName": "__ASSET_JOB",
            "assetSelection": [{"path": [a]} for a in assets],
            "assetCheckSelection": checks,
        },
    }


def job_assets(ui: DagsterUI, job: str) -> list[dict[str, Any]]:
    """The asset nodes of ``job``: what its page's "Materialize all…" targets."""
    return [n for n in asset_nodes(ui) if job in n["jobNames"]]


def partition_tags_and_config(
    ui: DagsterUI, job: str, partition: str, assets: list[str]
) -> dict[str, Any]:
    """The partitions dialog's question about the picked partition (``partition`` as typed)."""
    variables = {
        "repositoryName": REPOSITORY,
        "repositoryLocationName": LOCATION,
        "jobName": job,
        "partitionName": partition,
        "assetKeys": [{"path": [a]} for a in assets],
    }
    return ui.graphql(PARTITION_CONFIG_QUERY, variables)["pipelineOrError"]["partition"]


def job_month_params(ui: DagsterUI, job: str, partition: str) -> dict[str, Any]:
    """What "Launch 1 run" sends from a job's partitions dialog (``onLaunchAsSingleRun`` →
    ``executionParamsForAssetJob``): the job's assets and their checks in that job, the
    partition's tags and run config as the server gave them."""
    nodes = job_assets(ui, job)
    assets = [n["assetKey"]["path"][-1] for n in nodes]
    answer = partition_tags_and_config(ui, job, partition, assets)
    tags = answer["tagsOrError"]["results"]
    return {
        "mode": "default",
        "executionMetadata": {"tags": tags},
        "runConfigData": answer["runConfigOrError"]["yaml"],
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "pipelineName": job,
            "assetSelection": [{"path": [a]} for a in assets],
            "assetCheckSelection": [
                {"assetKey": {"path": n["assetKey"]["path"]}, "name": c["name"]}
                for n in nodes
                for c in n["assetChecksOrError"]["checks"]
                if job in c["jobNames"]
            ],
        },
    }


@pytest.fixture(scope="module")
def launched(dagster_ui: DagsterUI) -> LaunchedRun:
    """One month launched from the job's page as the README says, followed until it ends."""
    started = time.monotonic()
    params = job_month_params(dagster_ui, JOB, PARTITION)
    result = dagster_ui.graphql(LAUNCH_MUTATION, {"executionParams": params})
    launch = result["launchPipelineExecution"]
    assert launch["__typename"] == "LaunchRunSuccess", launch
    run_id = launch["run"]["id"]
    run: dict[str, Any] = {}
    while time.monotonic() - started < RUN_TIMEOUT_S:
        run = dagster_ui.graphql(RUN_QUERY, {"id": run_id})["runOrError"]
        if run["status"] in TERMINAL:
            return LaunchedRun(run_id, run)
        time.sleep(1)
    raise AssertionError(
        f"run {run_id} still {run.get('status')} after {RUN_TIMEOUT_S} s; steps "
        f"{run.get('stepStats')}\n{dagster_ui.log_tail()}"
    )


def test_asset_graph_shows_bronze_silver_and_gold(
    chromium: Chromium, dagster_ui: DagsterUI
) -> None:
    nodes = asset_nodes(dagster_ui)
    by_group = {
        g: {n["assetKey"]["path"][-1] for n in nodes if n["groupName"] == g} for g in GROUPS
    }
    assert {"sec_snapshots", "sec_customers"} <= by_group["bronze"]
    assert {"fact_eventos", "fact_interrupciones"} <= by_group["silver"]
    assert {"market_map", "golden_eventos"} <= by_group["gold"]

    # The global lineage graph with every group open; tall enough that no node is culled.
    expanded = ",".join(f"global@global:{g}" for g in GROUPS)
    names = sorted(set().union(*by_group.values()))
    dom = chromium.render(
        f"{dagster_ui.url}/asset-groups?expanded={quote(expanded)}",
        "asset_graph",
        size=(2400, 7000),
        expect=tuple(names),
    )
    assert "Global asset lineage" in dom
    missing = [n for n in names if n not in dom]
    assert not missing, f"not on the asset graph: {missing} (see {chromium.out_dir})"


def test_partition_run_launched_like_the_ui_succeeds(
    dagster_ui: DagsterUI, launched: LaunchedRun
) -> None:
    run = launched.run
    assert run["status"] == "SUCCESS", (
        f"run {launched.run_id}: {run['stepStats']}\n{dagster_ui.log_tail()}"
    )
    from sec_assets.automation.jobs import MONTHLY_ASSETS

    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/partition"] == PARTITION
    assert sorted(k["path"][-1] for k in run["assetSelection"]) == sorted(MONTHLY_ASSETS)
    assert all(s["status"] == "SUCCESS" for s in run["stepStats"]), run["stepStats"]


def test_the_partition_picker_takes_the_month_as_every_message_spells_it(
    dagster_ui: DagsterUI,
) -> None:
    assets = [n["assetKey"]["path"][-1] for n in job_assets(dagster_ui, JOB)]
    answer = partition_tags_and_config(dagster_ui, JOB, "2024-09", assets)
    assert answer["name"] == "2024-09"
    tags = {t["key"]: t["value"] for t in answer["tagsOrError"]["results"]}
    assert tags["dagster/partition"] == "2024-09"


def test_the_job_page_offers_the_month_bronze_to_gold(
    chromium: Chromium, dagster_ui: DagsterUI
) -> None:
    """Jobs → monthly_pipeline: the page the README's first UI section opens."""
    from sec_assets.automation.jobs import MONTHLY_ASSETS

    url = f"{dagster_ui.url}/locations/{LOCATION}/jobs/{JOB}"
    assets = f"View {len(MONTHLY_ASSETS)} assets"
    dom = chromium.render(url, "monthly_pipeline_job", expect=("Materialize all", assets))
    assert "One month, bronze → gold" in dom, f"see {chromium.out_dir}"
    assert "Materialize all" in dom and assets in dom, f"see {chromium.out_dir}"


def test_every_silver_check_evaluated_for_the_partition(
    dagster_ui: DagsterUI, launched: LaunchedRun
) -> None:
    from sec_assets.silver.checks import CHECKS

    nodes = asset_nodes(dagster_ui, ["snapshot_ledger", "fact_interrupciones", "fact_eventos"])
    seen = {
        (node["assetKey"]["path"][-1], check["name"]): check["executionForLatestMaterialization"]
        for node in nodes
        for check in node["assetChecksOrError"]["checks"]
    }
    assert set(seen) == {(c.asset, c.name) for c in CHECKS}
    for key, execution in seen.items():
        assert execution is not None, f"{key} never ran"
        assert execution["runId"] == launched.run_id, key
        assert execution["partition"] == PARTITION, key
        assert execution["status"] == "SUCCEEDED", (key, execution)
        assert execution["evaluation"]["success"], (key, execution["evaluation"])


def test_run_page_shows_the_run_and_its_check_evaluations(
    chromium: Chromium, dagster_ui: DagsterUI, launched: LaunchedRun
) -> None:
    run_id = launched.run_id
    dom = chromium.render(
        f"{dagster_ui.url}/runs/{run_id}", "run", expect=(run_id, "ASSET_CHECK_EVALUATION")
    )
    assert run_id in dom, f"run page without its id (see {chromium.out_dir})"
    assert "Success" in dom
    assert f"partition: {PARTITION}" in dom
    from sec_assets.automation.jobs import MONTHLY_ASSETS

    assert f"{len(MONTHLY_ASSETS)} assets" in dom
    assert "ASSET_CHECK_EVALUATION" in dom


def test_checks_tab_shows_the_checks_passed(
    chromium: Chromium, dagster_ui: DagsterUI, launched: LaunchedRun
) -> None:
    from sec_assets.silver.checks import CHECKS

    names = [c.name for c in CHECKS if c.asset == "fact_interrupciones"]
    dom = chromium.render(
        f"{dagster_ui.url}/assets/fact_interrupciones?view=checks",
        "fact_interrupciones_checks",
        expect=(*names, "Passed"),
    )
    missing = [n for n in names if n not in dom]
    assert not missing, f"checks tab lacks {missing} (see {chromium.out_dir})"
    assert "Passed" in dom and "Succeeded" in dom
    assert PARTITION in dom


RESOURCE_QUERY = """query($selector: ResourceSelector!) {
  topLevelResourceDetailsOrError(resourceSelector: $selector) {
    __typename ... on ResourceDetails { name configFields { name description } } } }"""


@pytest.mark.parametrize(
    ("resource", "field", "variable"),
    [
        ("sec_client", "base_url", "$SEC_BASE_URL"),
        ("sec_client", "requests_per_second", "$SEC_REQUESTS_PER_SECOND"),
        ("sec_client", "max_concurrency", "$SEC_MAX_CONCURRENCY"),
        ("bronze", "hours_per_day", "$SEC_HOURS_PER_DAY"),
        ("warehouse", "pg_dsn", "$SEC_PG_DSN"),
        ("storage", "data_dir", "$SEC_DATA_DIR"),
    ],
)
def test_resource_page_names_the_variable_behind_each_setting(
    dagster_ui: DagsterUI, resource: str, field: str, variable: str
) -> None:
    """What the UI's resource page (Deployment → Resources) lists for each configuration field."""
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "resourceName": resource,
    }
    details = dagster_ui.graphql(RESOURCE_QUERY, {"selector": selector})
    page = details["topLevelResourceDetailsOrError"]
    assert page["__typename"] == "ResourceDetails", page
    described = {f["name"]: f["description"] or "" for f in page["configFields"]}
    assert variable in described[field], described


COLUMNS_QUERY = """query($key: AssetKeyInput!) { assetOrError(assetKey: $key) {
  ... on Asset { assetMaterializations(limit: 1) { partition metadataEntries { label
    ... on TextMetadataEntry { text }
    ... on TableSchemaMetadataEntry { schema { columns { name type } } } } } } } }"""


@pytest.mark.parametrize("table", ["snapshot_ledger", "fact_interrupciones", "fact_eventos"])
def test_catalog_gets_table_name_and_columns(
    dagster_ui: DagsterUI, launched: LaunchedRun, table: str
) -> None:
    """What the asset catalog's Columns section and table name read: the latest
    materialization's ``dagster/column_schema`` and ``dagster/table_name``."""
    asset = dagster_ui.graphql(COLUMNS_QUERY, {"key": {"path": [table]}})["assetOrError"]
    [mat] = asset["assetMaterializations"]
    entries = {e["label"]: e for e in mat["metadataEntries"]}
    assert entries["dagster/table_name"]["text"] == f"silver.{table}"
    columns = [c["name"] for c in entries["dagster/column_schema"]["schema"]["columns"]]
    assert "month" in columns and len(columns) >= 5, columns

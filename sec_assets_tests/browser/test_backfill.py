""" "Materialize all" on the global asset graph of a fresh instance and warehouse, for a range of
months, the way the UI launches it: every asset the button counts (executable, not observable),
``launchPartitionBackfill`` with ``assetSelection`` and ``partitionNames``. It must be accepted,
leave out maintenance (``bronze_archive``) and the optional seed import (``sec_seed_import``),
complete successfully (the monthly loads write the dimensions they need, whatever runs first)
and leave every silver check evaluated and passed for every month, on DuckDB and on Postgres.

No browser is needed: this talks to ``dagster dev`` (webserver and daemon) through GraphQL only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from sec_assets.month import Month
from sec_assets.partitions import MAX_MONTHS_PER_RUN
from sec_assets_tests.browser.conftest import dagster_dev
from sec_assets_tests.browser.harness import DagsterUI
from sec_assets_tests.browser.test_ui import SELECTION as UI_SELECTION
from sec_assets_tests.conftest import pg_throwaway_database

pytestmark = [pytest.mark.browser, pytest.mark.deployment]

MONTHS = [m.key for m in Month.range(Month(2024, 5), 2)]
#: More than a run's months: the backfill of a year and a month is a few ranged runs.
YEAR_AND_A_MONTH = [m.key for m in Month.range(Month(2023, 6), MAX_MONTHS_PER_RUN + 1)]
# The monthly assets from bronze to the golden Parquet, and the silver dimensions the facts
# reference (the graph's monthly part, without the gold that reads every month).
SELECTION = [*UI_SELECTION, "golden_eventos"]
LEFT_OUT = {"bronze_archive", "sec_seed_import", "research_release"}  # their jobs write them
# Normal duration: the backfill finishes in ~2-4 min on an idle 2-core machine.
BACKFILL_TIMEOUT_S = 900
DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

# Verbatim from the UI (ui-core/src/instance/backfill/BackfillUtils.tsx, dagster-webserver 1.13),
# with PythonErrorFragment inlined.
LAUNCH_PARTITION_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PartitionSetNotFoundError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { stepKey invalidOutputName }
    ... on UnauthorizedError { message }
    ... on PipelineNotFoundError { message }
    ... on RunConflict { message }
    ... on ConflictingExecutionParamsError { message }
    ... on PresetNotFoundError { message }
    ... on RunConfigValidationInvalid { pipelineName errors { message path reason } }
    ... on PythonError { message stack }
  }
}"""
BACKFILL_QUERY = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { id status numPartitions
    runs(limit: 50) { id status tags { key value } assetSelection { path } } }
  ... on PythonError { message } } }"""
# What the global graph's button reads of each asset (LaunchAssetExecutionAssetNodeFragment).
GRAPH_QUERY = """{ assetNodes { assetKey { path } isExecutable isObservable } }"""
MATERIALIZED = """query($key: AssetKeyInput!) { assetOrError(assetKey: $key) {
  ... on Asset { assetMaterializations(limit: 5) { runId } } } }"""
CHECK_EXECUTIONS = """query($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 20) {
    runId status partition evaluation { success } } }"""


def materialize_all(ui: DagsterUI) -> list[str]:
    """The assets "Materialize all" launches on the global graph (``optionsForExecuteButton``:
    executable and not observable)."""
    nodes = ui.graphql(GRAPH_QUERY)["assetNodes"]
    return sorted(
        n["assetKey"]["path"][-1] for n in nodes if n["isExecutable"] and not n["isObservable"]
    )


def backfill_params(selection: list[str], months: list[str]) -> dict[str, Any]:
    """What LaunchAssetChoosePartitionsDialog's ``onLaunchAsBackfill`` builds for assets of the
    hidden asset job: the tags (``tagsWithUIExecutionTags``), the asset keys, the partitions."""
    return {
        "tags": [{"key": "dagster/from_ui", "value": "true"}],
        "assetSelection": [{"path": [a]} for a in selection],
        "partitionNames": months,
        "fromFailure": False,
    }


def run_backfill(ui: DagsterUI, selection: list[str], months: list[str] = MONTHS) -> dict[str, Any]:
    params = backfill_params(selection, months)
    launched = ui.graphql(LAUNCH_PARTITION_BACKFILL, {"backfillParams": params})
    launch = launched["launchPartitionBackfill"]
    assert launch["__typename"] == "LaunchBackfillSuccess", launch
    started = time.monotonic()
    backfill: dict[str, Any] = {}
    while time.monotonic() - started < BACKFILL_TIMEOUT_S:
        backfill = ui.graphql(BACKFILL_QUERY, {"id": launch["backfillId"]})
        backfill = backfill["partitionBackfillOrError"]
        if backfill.get("status") in DONE and not any(
            r["status"] not in ("SUCCESS", "FAILURE", "CANCELED") for r in backfill["runs"]
        ):
            return backfill
        time.sleep(2)
    raise AssertionError(
        f"backfill not done after {BACKFILL_TIMEOUT_S} s: {backfill}\n{ui.log_tail()}"
    )


def run_months(run: dict[str, Any]) -> list[str]:
    """The partition keys a run covers: its partition, or every month of its range."""
    tags = {t["key"]: t["value"] for t in run["tags"]}
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if start is None or end is None:
        return []  # the run of the unpartitioned dimensions
    return [m.key for m in Month.parse(start).through(Month.parse(end))]


def assert_every_check_passed_per_month(ui: DagsterUI, backfill: dict[str, Any]) -> None:
    from sec_assets.silver.checks import CHECKS

    run_ids = {r["id"] for r in backfill["runs"]}
    for check in CHECKS:
        executions = ui.graphql(
            CHECK_EXECUTIONS, {"key": {"path": [check.asset]}, "name": check.name}
        )["assetCheckExecutions"]
        mine = [e for e in executions if e["runId"] in run_ids]
        # Runs may plan a check they do not evaluate (without a partition, or for a month
        # another run of the backfill evaluates): such executions end skipped, never failed.
        assert all(e["status"] in ("SKIPPED", "SUCCEEDED") for e in mine), (check.name, mine)
        passed = {
            e["partition"]
            for e in mine
            if e["status"] == "SUCCEEDED" and e["evaluation"] and e["evaluation"]["success"]
        }
        assert sorted(passed - {None}) == MONTHS, (check.name, mine)


@pytest.fixture(scope="module")
def postgres_dsn() -> Iterator[str]:
    yield from pg_throwaway_database()


@pytest.mark.timeout(BACKFILL_TIMEOUT_S * 2)
@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_materialize_all_over_a_range_completes_without_maintenance_or_import(
    engine: str, request: pytest.FixtureRequest
) -> None:
    extra = {"SEC_PG_DSN": request.getfixturevalue("postgres_dsn")} if engine == "postgres" else {}
    with dagster_dev(extra) as ui:
        selection = materialize_all(ui)
        assert not LEFT_OUT & set(selection), selection
        assert {"dim_tiempo", "sec_snapshots", "fact_eventos", "dashboard_stats"} <= set(selection)
        backfill = run_backfill(ui, selection)
        assert backfill["status"] == "COMPLETED_SUCCESS", (backfill, ui.log_tail())
        for asset in LEFT_OUT:  # none ran
            got = ui.graphql(MATERIALIZED, {"key": {"path": [asset]}})["assetOrError"]
            assert got["assetMaterializations"] == [], asset
        months = {m for r in backfill["runs"] for m in run_months(r)}
        assert months == set(MONTHS), backfill["runs"]
        assert all(r["status"] == "SUCCESS" for r in backfill["runs"]), backfill["runs"]
        assert_every_check_passed_per_month(ui, backfill)


PARTITION_STATS = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {
  ... on AssetNode { partitionStats { numMaterialized numFailed } } } }"""


@pytest.mark.timeout(BACKFILL_TIMEOUT_S * 2)
def test_a_backfill_of_a_year_and_a_month_is_a_few_ranged_runs() -> None:
    """Every monthly asset takes up to a year per run: 13 months are the dimensions' run and,
    for each stage the daemon launches once the previous one has materialized (bronze with the
    region customers; silver once the dimensions exist; at most a third, the golden Parquet), a
    run per range of 12 months — not a run per month and asset."""
    with dagster_dev() as ui:
        backfill = run_backfill(ui, SELECTION, YEAR_AND_A_MONTH)
        assert backfill["status"] == "COMPLETED_SUCCESS", (backfill, ui.log_tail())
        runs = backfill["runs"]
        assert all(r["status"] == "SUCCESS" for r in runs), runs
        sizes = sorted(
            (
                (len(run_months(r)), sorted(a["path"][-1] for a in r["assetSelection"]))
                for r in runs
            ),
            reverse=True,
        )
        assert max(n for n, _ in sizes) == MAX_MONTHS_PER_RUN, sizes
        ranges = -(-len(YEAR_AND_A_MONTH) // MAX_MONTHS_PER_RUN)  # ceil: 2
        assert len(runs) <= 1 + 3 * ranges, sizes  # a month per run: 13 for bronze alone
        for asset in SELECTION:
            if asset.startswith("dim_"):
                continue
            stats = ui.graphql(PARTITION_STATS, {"key": {"path": [asset]}})
            stats = stats["assetNodeOrError"]["partitionStats"]
            assert stats["numMaterialized"] == len(YEAR_AND_A_MONTH), (asset, stats)
            assert stats["numFailed"] == 0, (asset, stats)

"""The silver checks run alone on a stored month from the command line, as an operator or CI
runs them: a month materialized with ``dagster asset materialize``, then
``python -m sec_assets check`` and ``dagster job execute -j silver_checks`` re-check it without
loading anything. After the stored rows are tampered with, the checks run alone fail the right
check, keep the failed verdict in ``silver.month_checks``, and gold leaves the month out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.gold.trusted import excluded_months
from sec_assets.silver.checks import CHECKS
from sec_assets.warehouse import DuckDBWarehouse
from sec_assets_tests.cli import REPO, materialize

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MONTH = KEY = "2024-08"  # the partition key is the label
DIMENSIONS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
SILVER = ["sec_snapshots", "sec_customers", "region_customers", "snapshot_ledger"]
SILVER += ["fact_interrupciones", "fact_eventos"]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A month bronze → silver through the Dagster CLI; the environment that sees it."""
    from sec_sim import SimConfig, run_simulator

    tmp = tmp_path_factory.mktemp("checks_alone")
    (tmp / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    with run_simulator(SimConfig(seed=7)) as sim:
        env.update(
            DAGSTER_HOME=str(tmp / "home"),
            SEC_DATA_DIR=str(tmp / "data"),
            SEC_BASE_URL=sim.base_url,
            SEC_HOURS_PER_DAY="1",
            SEC_REQUESTS_PER_SECOND="500",
            SEC_MAX_CONCURRENCY="8",
        )
        materialize(DIMENSIONS, env=env)
        materialize(SILVER, env=env, partition=KEY)
    yield env


def verb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "python"), "-m", "sec_assets", "check", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)


def materializations(env: dict[str, str]) -> int:
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    try:
        with dg.DagsterInstance.get() as instance:
            key = dg.AssetKey("fact_interrupciones")
            return len(instance.fetch_materializations(key, limit=100).records)
    finally:
        del os.environ["DAGSTER_HOME"]


def verdicts(env: dict[str, str]) -> dict[str, bool]:
    wh = DuckDBWarehouse(Path(env["SEC_DATA_DIR"]) / "warehouse.duckdb")
    rows = wh.read(
        "SELECT check_name, passed FROM silver.month_checks WHERE month = :m", {"m": MONTH}
    )
    return dict(zip(rows["check_name"].to_list(), rows["passed"].to_list(), strict=True))


def test_checks_run_alone_from_the_cli_on_the_stored_month(stored: dict[str, str]) -> None:
    before = materializations(stored)
    proc = verb(stored, "--month", MONTH)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.count(" pass ") == len(CHECKS), proc.stdout
    one = verb(stored, "--month", MONTH, "--check", "hash_id_unique")
    assert one.returncode == 0, one.stdout + one.stderr[-3000:]
    assert one.stdout.count(" pass ") == 1 and "hash_id_unique" in one.stdout, one.stdout
    # Dagster's own CLI runs the same job of checks alone.
    tags = json.dumps({"dagster/partition": KEY})
    job = [str(BIN / "dagster"), "job", "execute", "-m", "sec_assets.definitions"]
    job += ["-j", "silver_checks", "--tags", tags]
    ran = subprocess.run(job, env=stored, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-3000:]
    assert "ASSET_CHECK_EVALUATION" in ran.stdout + ran.stderr
    assert materializations(stored) == before
    assert verdicts(stored) == {c.name: True for c in CHECKS}


def test_a_tampered_month_fails_its_check_run_alone_and_leaves_gold(stored: dict[str, str]) -> None:
    wh = DuckDBWarehouse(Path(stored["SEC_DATA_DIR"]) / "warehouse.duckdb")
    first = "(SELECT MIN(hash_id) FROM silver.fact_interrupciones__2024_08)"
    table = "silver.fact_interrupciones__2024_08"
    kept = wh.read(f"SELECT clientes_afectados AS n FROM {table} WHERE hash_id = {first}")
    with wh.get_connection() as con:  # a negative count in one stored observation
        con.execute(f"UPDATE {table} SET clientes_afectados = -5 WHERE hash_id = {first}")
    try:
        proc = verb(stored, "--month", MONTH)
        assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
        failed = [line.split()[1] for line in proc.stdout.splitlines() if " FAIL " in line]
        assert failed == ["keys_and_measures_not_null"], proc.stdout
        expected = {c.name: c.name != "keys_and_measures_not_null" for c in CHECKS}
        assert verdicts(stored) == expected
        assert "keys_and_measures_not_null" in excluded_months(wh)[MONTH]
    finally:  # the stored month as it was, for the other test (any order)
        n = kept["n"].item()
        with wh.get_connection() as con:
            con.execute(f"UPDATE {table} SET clientes_afectados = {n} WHERE hash_id = {first}")


def test_one_asset_of_the_observations_step_selected_reports_both(stored: dict[str, str]) -> None:
    """The step writes the ledger and the facts together: selecting the facts alone (the step
    is subsettable for its checks) still reports the ledger it rewrote."""
    os.environ["DAGSTER_HOME"] = stored["DAGSTER_HOME"]
    try:
        with dg.DagsterInstance.get() as instance:
            before = {
                a: len(instance.fetch_materializations(dg.AssetKey(a), limit=100).records)
                for a in ("snapshot_ledger", "fact_interrupciones")
            }
            materialize(["fact_interrupciones"], env=stored, partition=KEY)
            after = {
                a: len(instance.fetch_materializations(dg.AssetKey(a), limit=100).records)
                for a in before
            }
    finally:
        del os.environ["DAGSTER_HOME"]
    assert after == {a: n + 1 for a, n in before.items()}

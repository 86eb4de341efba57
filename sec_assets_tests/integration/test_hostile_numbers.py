"""Numbers and text the service gets wrong, on the user's path (issue 25): the simulator over
HTTP answers, on fixed hours, customer counts sent as strings ("NaN", 30 digits), two rows whose
sum would wrap int64, a key repeated in one object, a legacy answer for another date and a NUL
in a comuna name. The month is materialized (bronze, then silver on DuckDB and on Postgres from
the same bronze): each poisoned hour is a counted schema_error or wrong_date, quarantined, asked
again by the next run; the month loads, nothing wraps, and both engines store the same text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from sec_assets.resources import local_resources
from sec_assets.sec_client.numbers import MAX_CUSTOMERS
from sec_sim import SimConfig, run_simulator
from sec_sim.hostile import (
    FAILED_CASES,
    SCHEMA_ERROR_CASES,
    WRONG_DATE_CASES,
    hostile_hours,
    warm_up,
)
from sec_tools.demo import run_selection

PER_DAY = 4
PARTITION = MONTH = "2024-08"  # the partition key is the label
BRONZE = ["sec_snapshots", "sec_customers"]
SILVER = ["dim_geografia", "dim_empresa", "dim_tiempo", "region_customers"]
SILVER += ["snapshot_ledger", "fact_interrupciones"]
CASES = {"nan_text", "huge_text", "wrap", "duplicate_key", "wrong_date", "nul"}
HOURS = {h: c for h, c in hostile_hours(MONTH).items() if c in CASES}
EXPECTED = dict.fromkeys(CASES, "schema_error") | {"wrong_date": "wrong_date", "nul": "ok"}


def _resources(data: Path, base_url: str, pg_dsn: str | None = None) -> dict:
    return local_resources(
        data,
        base_url=base_url,
        pg_dsn=pg_dsn,
        hours_per_day=PER_DAY,
        max_concurrency=8,
        requests_per_second=2000,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.02,
        read_timeout_s=20,
        max_body_bytes=128 * 1024,
        attempt_deadline_s=5.0,
    )


def _files(data: Path, hour: str) -> list[Path]:
    return sorted((data / "bronze/sec_snapshots" / f"month={MONTH}" / hour).glob("*.json.gz"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from sec_assets_tests.conftest import pg_throwaway_database

    data = tmp_path_factory.mktemp("numbers") / "data"
    config = SimConfig(seed=5, hostile=True, hostile_body_bytes=256 * 1024, hostile_drip_s=15)
    pg = pg_throwaway_database()
    dsn = next(pg)
    try:
        with pytest.MonkeyPatch.context() as env, run_simulator(config) as sim:
            env.setenv("SEC_MIN_MONTH_COVERAGE", "0.85")  # 16 of 124 hours hostile by design
            warm_up(sim.base_url, MONTH)
            first = run_selection(BRONZE, _resources(data, sim.base_url), partition=PARTITION)
            files_after_first = {h: len(_files(data, h)) for h in hostile_hours(MONTH)}
            duck = run_selection(SILVER, _resources(data, sim.base_url), partition=PARTITION)
            postgres = run_selection(
                SILVER, _resources(data, sim.base_url, dsn), partition=PARTITION
            )
            postgres_wh = _resources(data, sim.base_url, dsn)["warehouse"].get_warehouse()
            tables = {
                "duckdb": _tables(local_resources(data)["warehouse"].get_warehouse()),
                "postgres": _tables(postgres_wh),
            }
            second = run_selection(BRONZE, _resources(data, sim.base_url), partition=PARTITION)
        yield {
            "data": data,
            "results": [first, duck, postgres, second],
            "files_after_first": files_after_first,
            "tables": tables,
        }
    finally:
        next(pg, None)


def _tables(wh) -> dict[str, pl.DataFrame]:
    queries = {
        "ledger": "SELECT hour_key, status, customers, error FROM silver.snapshot_ledger",
        "facts": "SELECT hour_key, hash_id, clientes_afectados, nombre_region_raw, "
        "nombre_comuna_raw, nombre_empresa_raw FROM silver.fact_interrupciones",
        "quarantine": "SELECT hour_key, reason, detail FROM silver.quarantine",
        "guardrails": "SELECT guardrail, rows, customers FROM silver.guardrail_counts",
    }
    return {name: wh.read(sql).sort(pl.all()) for name, sql in queries.items()}


def test_the_month_loads_on_both_engines_without_a_crash(runs: dict) -> None:
    assert all(r.success for r in runs["results"])


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_each_poisoned_hour_is_counted_with_its_outcome(runs: dict, engine: str) -> None:
    tables = runs["tables"][engine]
    ledger = dict(tables["ledger"].select("hour_key", "status").iter_rows())
    reasons = dict(tables["quarantine"].select("hour_key", "reason").iter_rows())
    for hour, case in HOURS.items():
        assert ledger[hour] == EXPECTED[case], (hour, case)
        if EXPECTED[case] != "ok":
            assert reasons[hour] == EXPECTED[case], (hour, case)
            stored = {p.name.split("-")[2] for p in _files(runs["data"], hour)}
            assert stored == {EXPECTED[case]}, (hour, case)  # bronze keeps the raw answer
    guard = dict(tables["guardrails"].select("guardrail", "rows").iter_rows())
    assert guard["control_chars"] == 1  # the NUL, removed and counted


def test_poisoned_hours_are_asked_again_by_the_next_run(runs: dict) -> None:
    before = runs["files_after_first"]
    for hour, case in hostile_hours(MONTH).items():
        after = len(_files(runs["data"], hour))
        if case in CASES and EXPECTED[case] != "ok":
            assert after == before[hour] + 1, (hour, case)  # fetched again, stored again
        elif case in ("duplicates", "nul"):  # valid answers: the closed month keeps them
            assert after == before[hour], (hour, case)


def test_nothing_wraps(runs: dict) -> None:
    for engine in ("duckdb", "postgres"):
        tables = runs["tables"][engine]
        facts, ledger = tables["facts"], tables["ledger"]
        assert facts["clientes_afectados"].min() >= 0
        assert facts["clientes_afectados"].max() <= MAX_CUSTOMERS
        assert ledger["customers"].min() >= 0


def test_both_engines_store_the_same_text(runs: dict) -> None:
    duck, postgres = runs["tables"]["duckdb"], runs["tables"]["postgres"]
    for name in ("ledger", "facts", "quarantine", "guardrails"):
        assert duck[name].equals(postgres[name]), name
    [nul_hour] = [h for h, c in HOURS.items() if c == "nul"]
    names = duck["facts"].filter(pl.col("hour_key") == nul_hour)["nombre_comuna_raw"]
    assert names.len() > 0 and not names.str.contains("\x00").any()
    for frame in duck.values():
        for column in frame.select(pl.col(pl.Utf8)).columns:
            assert not frame[column].str.contains(r"[\x00-\x1f]").any(), column


def test_the_collectors_metadata_counts_each_outcome(runs: dict) -> None:
    [mat] = [
        m
        for m in runs["results"][0].asset_materializations_for_node("sec_snapshots")
        if m.asset_key.to_user_string() == "sec_snapshots"
    ]
    counts = mat.metadata["failed_by_outcome"].value
    # every schema case of the simulator's month, wrong_date apart, each transient one by kind
    assert counts["schema_error"] == len(SCHEMA_ERROR_CASES)
    assert counts["wrong_date"] == len(WRONG_DATE_CASES) == 1
    assert all(counts[kind] == 1 for kind in FAILED_CASES.values())

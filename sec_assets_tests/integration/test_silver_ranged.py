"""Ranged runs of the monthly silver assets (BackfillPolicy.multi_run), on both engines:
one run over three months gives the same tables as three single-month runs, checks are
reported per month, and a month whose rows break a key rolls back alone, naming the month
and the rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from sec_assets.bronze.store import BronzeStore
from sec_assets.definitions import defs
from sec_assets.month import Month
from sec_assets.partitions import MAX_MONTHS_PER_RUN
from sec_assets.resources import local_resources
from sec_assets.silver import ranged
from sec_assets.silver.load import (
    DIMENSIONS,
    load_dimension,
    load_region_customers,
    observation_steps,
)
from sec_assets.silver.parser_process import ParserProcess
from sec_assets.silver.ranged import (
    load_observations_range,
    parse_month,
    read_caps,
)
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets_tests.integration.test_comuna_daily_customers import fold_matches_the_facts
from sec_assets_tests.integration.test_warehouse_support import ENGINES
from sec_tools.bench.genbronze import write_month

PER_DAY = 4
MONTHS = Month.range(Month(2024, 7), 3)
SILVER = ["region_customers", "snapshot_ledger", "fact_interrupciones", "fact_eventos"]
CLOCK = datetime(2026, 11, 1, 12)


@pytest.fixture(scope="module")
def bronze_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of bronze written directly from the simulator's answers (no HTTP)."""
    data = tmp_path_factory.mktemp("ranged")
    for m in MONTHS:
        write_month(data / "bronze", m, 11, CLOCK, hours_per_day=PER_DAY)
    return data


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def _resources(engine: str, request: pytest.FixtureRequest, bronze: Path, db_dir: Path) -> dict:
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    # The warehouse in db_dir, bronze shared by the module: two storages.
    return {
        **local_resources(db_dir, pg_dsn=dsn, base_url="http://127.0.0.1:9"),  # never called
        "bronze": local_resources(bronze, hours_per_day=PER_DAY)["bronze"],
    }


def _execute(selection: list[str], resources: dict, tags: dict[str, str] | None, key=None):
    job = dg.define_asset_job("ranged", selection=selection)
    resolved = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources={**(defs.resources or {}), **resources},
    ).resolve_job_def("ranged")
    return resolved.execute_in_process(partition_key=key, tags=tags, raise_on_error=False)


def _tables(wh: Warehouse) -> dict[str, pl.DataFrame]:
    drop = ["fetched_at", "loaded_at", "first_seen_at"]
    out = {}
    for name, order in [
        ("snapshot_ledger", "hour_key"),
        ("fact_interrupciones", "hash_id"),
        ("fact_eventos", "evento_id"),
        ("region_customers", "month, cut_region"),
        ("comuna_daily_customers", "dia, geografia_id"),
    ]:
        frame = wh.read(f"SELECT * FROM silver.{name} ORDER BY {order}")
        out[name] = frame.drop([c for c in drop if c in frame.columns])
    return out


def test_monthly_silver_assets_backfill_a_year_per_run() -> None:
    for key in SILVER:
        policy = defs.resolve_assets_def(key).backfill_policy
        assert policy is not None and policy.max_partitions_per_run == MAX_MONTHS_PER_RUN


def test_ranged_run_equals_month_by_month_runs(engine, request, bronze_dir, tmp_path) -> None:
    dims = ["dim_geografia", "dim_empresa", "dim_tiempo"]
    ranged = _resources(engine, request, bronze_dir, tmp_path / "ranged")
    assert _execute(dims, ranged, None).success
    tags = {
        "dagster/asset_partition_range_start": "2024-07",
        "dagster/asset_partition_range_end": "2024-09",
    }
    result = _execute(SILVER, ranged, tags)
    assert result.success
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    by_check: dict[str, list[str]] = {}
    for ev in evaluations:
        by_check.setdefault(ev.check_name, []).append(ev.partition)
    assert by_check, "the checks ran"
    for name, parts in by_check.items():  # each check once per month, on its partition
        assert sorted(parts) == ["2024-07", "2024-08", "2024-09"], name
    assert all(ev.passed for ev in evaluations if ev.check_name != "no_degraded_or_empty_hours")

    single = _resources(engine, request, bronze_dir, tmp_path / "single")
    if engine == "postgres":  # a second throwaway database for the month-by-month load
        from sec_assets_tests.conftest import pg_throwaway_database

        gen = pg_throwaway_database()
        single["warehouse"] = local_resources(pg_dsn=next(gen))["warehouse"]
        request.addfinalizer(lambda: next(gen, None))
    assert _execute(dims, single, None).success
    for m in MONTHS:
        assert _execute(SILVER, single, None, key=m.key).success
    a = _tables(ranged["warehouse"].get_warehouse())
    b = _tables(single["warehouse"].get_warehouse())
    assert a["fact_interrupciones"].height > 3 * 100 * 20 and a["fact_eventos"].height > 1000
    for name in a:
        assert a[name].equals(b[name]), name
    assert a["comuna_daily_customers"].height > 3 * 20  # the fold crossed the parser process
    fold_matches_the_facts(ranged["warehouse"].get_warehouse())


@pytest.fixture
def loaded(engine, request, bronze_dir, tmp_path) -> tuple[Warehouse, Path]:
    """A warehouse holding the three months, loaded as one range."""
    wh = _resources(engine, request, bronze_dir, tmp_path)["warehouse"].get_warehouse()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    customers = BronzeStore(bronze_dir / "bronze", "sec_customers")
    for m in MONTHS:
        load_region_customers(wh, customers, m)
    done = load_observations_range(wh, bronze_dir / "bronze", MONTHS, hours_per_day=PER_DAY)
    assert sorted(done.loaded) == MONTHS and not done.failed
    return wh, bronze_dir


def _break(facts: pl.DataFrame, how: str) -> tuple[pl.DataFrame, str]:
    """The month's facts with one row broken; returns the text the error must show."""
    row = facts.head(1)
    if how == "broken_reference":
        bad = row.with_columns(pl.lit(999_999, pl.Int32).alias("geografia_id"))
        return pl.concat([facts.slice(1), bad]), "999999"
    if how == "duplicate_key":
        return pl.concat([facts, row]), row["hash_id"].item()
    bad = row.with_columns(pl.lit(None, pl.Utf8).alias("empresa_id"))
    return pl.concat([facts.slice(1), bad]), "null"


@pytest.mark.parametrize("how", ["broken_reference", "duplicate_key", "null_key"])
def test_a_month_breaking_a_key_rolls_back_alone(loaded, how: str) -> None:
    wh, bronze = loaded
    before = _tables(wh)
    august = MONTHS[1]
    caps = read_caps(wh, [august])[august]
    parsed = parse_month(bronze / "bronze", august, caps, PER_DAY)
    facts, shown = _break(parsed.silver.facts, how)
    bad = replace(parsed, silver=replace(parsed.silver, facts=facts))
    with wh.session(), pytest.raises(WarehouseIntegrityError) as err:
        wh.replace_many(observation_steps(bad.silver, bad.month))
    text = str(err.value)
    assert "2024-08" in text and shown in text and "rolled back" in text
    after = _tables(wh)
    for name in before:  # the month's ledger and facts are as before: nothing committed
        assert before[name].equals(after[name]), name


def test_reads_scoped_to_months_equal_whole_reads(loaded) -> None:
    """``read(..., months=)`` (DuckDB: only those months' tables, not the view over all) gives
    what the unscoped read gives; a month with no table reads as empty, not an error; and a
    re-loaded month (its table re-created under the same name, the view kept) reads back."""
    wh, bronze = loaded
    sql = (
        "SELECT month, COUNT(*) AS n, SUM(clientes_afectados) AS c "
        "FROM silver.fact_interrupciones f WHERE month IN ('2024-07', '2024-08') "
        "GROUP BY month ORDER BY month"
    )
    whole = wh.read(sql)
    assert whole.height == 2
    assert wh.read(sql, months=["2024-07", "2024-08"]).equals(whole)
    absent = sql.replace("month IN ('2024-07', '2024-08')", "month = '2031-01'")
    assert wh.read(absent, months=["2031-01"]).is_empty()
    again = load_observations_range(wh, bronze / "bronze", MONTHS[1:2], hours_per_day=PER_DAY)
    assert not again.failed
    assert wh.read(sql).equals(whole)
    assert wh.read(sql, months=["2024-07", "2024-08"]).equals(whole)


@pytest.mark.parametrize("answering", [False, True], ids=["parser-busy", "parser-ready"])
def test_a_writer_that_would_wait_parses_the_last_month_itself(
    loaded, answering: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the parser process busy, the consumer parses the range's last month not yet
    handed over instead of waiting (it comes out of calendar order); either way every month
    comes once, as parsed alone, and re-loading the range that way changes nothing."""
    wh, bronze = loaded
    before = _tables(wh)
    monkeypatch.setattr(ranged, "PREFETCH", 1)  # July here, August to the parser, September left
    monkeypatch.setattr(ParserProcess, "answering", property(lambda self: answering))
    caps = read_caps(wh, MONTHS)
    got = list(ranged.parsed_months(bronze / "bronze", MONTHS, caps, PER_DAY))
    july, august, september = MONTHS
    order = [july, august, september] if answering else [july, september, august]
    assert [p.month for p in got] == order
    for p in got:
        alone = parse_month(bronze / "bronze", p.month, caps[p.month], PER_DAY)
        assert p.silver.facts.equals(alone.silver.facts) and p.raw_rows == alone.raw_rows, p.month
    again = load_observations_range(wh, bronze / "bronze", MONTHS, hours_per_day=PER_DAY)
    assert sorted(again.loaded) == MONTHS and not again.failed
    after = _tables(wh)
    for name in before:
        assert before[name].equals(after[name]), name


def test_the_bench_functions_do_the_backfills_work(request, bronze_dir, tmp_path) -> None:
    """``make bench-backfill`` compares a backfill with the same months through the
    functions doing the same work (``bench/silver.py --same-work``): that path leaves the
    golden Parquet, the checks' verdicts and the national series a ranged run of the assets
    leaves."""
    from sec_tools.bench.silver import load_range

    tags = {
        "dagster/asset_partition_range_start": MONTHS[0].label,
        "dagster/asset_partition_range_end": MONTHS[-1].label,
    }
    run = _resources("duckdb", request, bronze_dir, tmp_path / "run")
    assert _execute(["dim_geografia", "dim_empresa", "dim_tiempo"], run, None).success
    downstream = [*SILVER, "national_hourly", "golden_eventos"]
    assert _execute(downstream, run, tags).success

    bench = _resources("duckdb", request, bronze_dir, tmp_path / "bench")
    wh = bench["warehouse"].get_warehouse()
    for name in DIMENSIONS:
        load_dimension(wh, name)
    figures = load_range(wh, bronze_dir, MONTHS, downstream=tmp_path / "bench")
    assert figures["after_silver_s"] > 0

    def golden(root: Path) -> dict[str, pl.DataFrame]:
        files = sorted((root / "gold" / "parquet").rglob("*.parquet"))
        return {str(f.relative_to(root)): pl.read_parquet(f) for f in files}

    made, expected = golden(tmp_path / "bench"), golden(tmp_path / "run")
    assert len(expected) == 2 * len(MONTHS) and sorted(made) == sorted(expected)
    for path, frame in expected.items():
        assert made[path].equals(frame), path
    a, b = run["warehouse"].get_warehouse(), wh
    verdicts = "SELECT asset, month, check_name, passed FROM silver.month_checks ORDER BY 1, 2, 3"
    assert a.read(verdicts).height >= 3 * len(MONTHS) and a.read(verdicts).equals(b.read(verdicts))
    national = "SELECT * FROM silver.national_hourly ORDER BY ALL"
    assert a.read(national).height > 0 and a.read(national).equals(b.read(national))

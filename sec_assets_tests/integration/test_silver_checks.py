"""Every silver check passes on a small valid month, fails on data crafted to break it, and
fails or warns (never passes) on a month with nothing for it to examine, on both engines. The
tables are created without their constraints here, so that the bad rows the constraints would
refuse can exist: the checks are the second line of defence."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.definitions import defs
from sec_assets.silver.checks import CHECKS, declared_needs, evaluate_check, evaluate_checks
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.silver.national import compare
from sec_assets.sql_files import contracts_dir
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from sec_assets_tests.integration.test_warehouse_support import ENGINES

SQL_DIR = contracts_dir()
MONTH = "2024-08"

VALID = [
    "INSERT INTO silver.dim_geografia VALUES "
    "(13119, '13119', 'Maipú', '131', 13, 'Metropolitana', 1, 'enel', false, 't'), "
    "(13120, '13120', 'Ñuñoa', '131', 13, 'Metropolitana', 1, 'enel', false, 't')",
    "INSERT INTO silver.dim_empresa VALUES ('no_informada', 'NO INFORMADA', 'n', true, 't')",
    "INSERT INTO silver.dim_tiempo VALUES "
    "(20240802, DATE '2024-08-02', 2024, 3, 8, 2, 5, false, false)",
    "INSERT INTO silver.region_customers VALUES ('2024-08', 13, 1000, 'seed', NULL)",
    "INSERT INTO silver.customer_caps VALUES ('2024-08', 13, 1000, '2024-08', 'seed')",
    *(
        f"INSERT INTO silver.snapshot_ledger VALUES ('2024-08-02T{h:02d}', '2024-08', "
        f"TIMESTAMP '2024-08-02 {h:02d}:00:00', TIMESTAMPTZ '2024-08-02 {h + 4:02d}:00:00+00', "
        f"20240802, 'ok', 'current', 'f', 2, 2, 2, 30, 1, 1, NULL, NULL, NULL)"
        for h in (10, 11)
    ),
    *(
        f"INSERT INTO silver.fact_interrupciones VALUES ('h{h}{g}', '2024-08-02T{h:02d}', "
        f"'2024-08', TIMESTAMP '2024-08-02 {h:02d}:00:00', 20240802, {g}, 'no_informada', NULL, "
        f"15, 1, NULL, 'current', 'Metropolitana', 'x', NULL, false, false, false, false, false)"
        for h in (10, 11)
        for g in (13119, 13120)
    ),
    "INSERT INTO silver.fact_eventos VALUES ('e1', 13119, 'no_informada', '2024-08', "
    "TIMESTAMP '2024-08-02 10:00:00', TIMESTAMP '2024-08-02 11:00:00', "
    "TIMESTAMP '2024-08-02 09:00:00', TIMESTAMP '2024-08-02 10:00:00', "
    "TIMESTAMP '2024-08-02 11:00:00', TIMESTAMP '2024-08-02 12:00:00', "
    "15, 30, 2, 0, false, false, 20240802)",
]

EVENT = VALID[-1]
BREAKS = {
    "keys_and_measures_not_null": "UPDATE silver.fact_interrupciones SET clientes_afectados = NULL "
    "WHERE hash_id = 'h1013119'",
    "every_foreign_key_resolves": "UPDATE silver.fact_interrupciones SET geografia_id = 99999 "
    "WHERE hash_id = 'h1013119'",
    "hash_id_unique": "UPDATE silver.fact_interrupciones SET hash_id = 'h1013119' "
    "WHERE hash_id = 'h1013120'",
    "customers_within_region_total": "UPDATE silver.fact_interrupciones "
    "SET clientes_afectados = 990 WHERE hash_id = 'h1013119'",
    "month_coverage_above_threshold": "UPDATE silver.snapshot_ledger SET status = 'failed'",
    "no_degraded_or_empty_hours": "UPDATE silver.snapshot_ledger SET status = 'degraded' "
    "WHERE hour_key = '2024-08-02T11'",
    "evento_id_unique": EVENT,
    "episodes_do_not_overlap": EVENT.replace("('e1'", "('e2'"),
    "episode_measures_are_consistent": "UPDATE silver.fact_eventos SET peak_customers = 0",
}


def loose_schema(wh: Warehouse) -> None:
    """The silver tables with keys, references and NOT NULL stripped."""
    with wh.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS silver")
        for path in sorted(SQL_DIR.glob("*.sql")):
            ddl = re.sub(r"--[^\n]*", "", path.read_text())
            ddl = re.sub(r"REFERENCES\s+silver\.\w+\s*\(\w+\)", "", ddl)
            ddl = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", ddl)
            ddl = re.sub(r"PRIMARY KEY|UNIQUE|NOT NULL", "", ddl)
            con.execute(ddl)


@pytest.fixture(params=ENGINES)
def loose(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    wh: Warehouse = (
        PostgresWarehouse(request.getfixturevalue("pg_database"))
        if request.param == "postgres"
        else DuckDBWarehouse(tmp_path / "loose.duckdb")
    )
    loose_schema(wh)
    with wh.get_connection() as con:
        for sql in VALID:
            con.execute(sql)
    return wh


def test_checks_cover_every_breakage() -> None:
    assert set(BREAKS) == {c.name for c in CHECKS}


def test_every_check_passes_on_a_valid_month(loose: Warehouse) -> None:
    for check in CHECKS:
        result, _ = evaluate_check(check, loose, MONTH, 0.95)
        assert result.passed, (check.name, result.metadata)
        assert result.metadata["failing_rows"].value == 0
        assert result.metadata["rows_examined"].value >= 1, check.name
        assert "examined" in (result.description or ""), check.name


def test_every_asset_check_declares_what_it_needs() -> None:
    """Every check of the code location (any asset, any layer) declares the rows it examines,
    a query on the month: a check added without one fails here."""
    graph = defs.resolve_asset_graph()
    keys = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    needs = declared_needs()
    assert keys <= set(needs), keys - set(needs)
    for key, need in needs.items():
        assert need.what and ":month" in need.sql and "SELECT" in need.sql.upper(), key


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_a_check_with_nothing_to_examine_fails_or_warns_saying_why(loose: Warehouse, check):
    """A month with none of what the check needs: not passed (ERROR when blocking, WARN
    otherwise), 0 rows examined, the missing input named; its verdict is a failure too."""
    result, verdict = evaluate_check(check, loose, "2024-09", 0.95)
    assert not result.passed and not verdict["passed"]
    want = dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN
    assert result.severity == want
    assert result.metadata["rows_examined"].value == 0
    assert "needs" in (result.description or "") and "2024-09" in (result.description or "")
    assert result.metadata["missing"].value == check.needs.what


def test_the_cap_check_fails_without_the_counts_the_cap_used(loose: Warehouse) -> None:
    """The month's region_customers are there, but not the counts its facts were capped by:
    the check cannot join what it checks against, so it fails rather than pass on nothing."""
    with loose.get_connection() as con:
        con.execute("DELETE FROM silver.customer_caps")
    check = next(c for c in CHECKS if c.name == "customers_within_region_total")
    result, _ = evaluate_check(check, loose, MONTH, 0.95)
    assert not result.passed and result.metadata["rows_examined"].value == 0
    assert "customer_caps" in (result.description or "")


def test_the_national_cross_check_warns_when_nothing_is_compared(loose: Warehouse) -> None:
    result = compare(loose, MONTH)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["rows_examined"].value == 0


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_each_check_fails_on_its_breakage(loose: Warehouse, check) -> None:
    with loose.get_connection() as con:
        con.execute(BREAKS[check.name])
    result, _ = evaluate_check(check, loose, MONTH, 0.95)
    assert not result.passed
    assert result.metadata["failing_rows"].value >= 1
    assert result.metadata["sample"].value  # shows the offending rows
    assert MONTH in (result.description or "")


def test_overlap_across_months_fails_both_months_once(loose: Warehouse) -> None:
    """An episode of the previous month overlapping the month's own (a shorter version left
    behind across the boundary) fails the check in both months, counted once in each; an
    episode of the same comuna and company elsewhere in the history does not."""
    july_overlap = EVENT.replace("('e1'", "('e0'").replace(
        "'2024-08', TIMESTAMP '2024-08-02 10:00:00'", "'2024-07', TIMESTAMP '2024-07-31 20:00:00'"
    )
    far_away = EVENT.replace("('e1'", "('e9'").replace(
        "'2024-08', TIMESTAMP '2024-08-02 10:00:00', TIMESTAMP '2024-08-02 11:00:00'",
        "'2023-01', TIMESTAMP '2023-01-02 10:00:00', TIMESTAMP '2023-01-02 11:00:00'",
    )
    assert july_overlap != EVENT and far_away != EVENT
    with loose.get_connection() as con:
        con.execute(july_overlap)
        con.execute(far_away)
    check = next(c for c in CHECKS if c.name == "episodes_do_not_overlap")
    for month in ("2024-08", "2024-07"):
        result, _ = evaluate_check(check, loose, month, 0.95)
        assert result.metadata["failing_rows"].value == 1, month
    result, _ = evaluate_check(check, loose, "2023-01", 0.95)
    assert result.passed


def test_a_check_run_alone_replaces_its_own_verdict_only(loose: Warehouse) -> None:
    """Checks run alone on a stored month (``silver/checks_alone.py``): the selected check's
    verdict replaces its previous one; the other checks' verdicts of the month stay."""
    asset = "fact_interrupciones"
    _, verdicts = evaluate_checks(asset, loose, MONTH, 0.95)
    record_verdicts(loose, asset, verdicts)
    loose.execute(BREAKS["hash_id_unique"])
    results, again = evaluate_checks(asset, loose, MONTH, 0.95, {"hash_id_unique"})
    assert [r.check_name for r in results] == ["hash_id_unique"] and not results[0].passed
    record_verdicts(loose, asset, again, only=True)
    kept = loose.read(
        "SELECT check_name, passed FROM silver.month_checks WHERE month = :m", {"m": MONTH}
    )
    expected = {c.name: c.name != "hash_id_unique" for c in CHECKS if c.asset == asset}
    assert (
        dict(zip(kept["check_name"].to_list(), kept["passed"].to_list(), strict=True)) == expected
    )

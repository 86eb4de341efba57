"""``:name`` parameters rewritten for each driver; everything else left alone."""

from __future__ import annotations

import pytest

from sec_assets.warehouse.params import bind_params, in_list

CASES = [
    # sql, params, duckdb sql, postgres sql — why the case matters
    (
        "SELECT 1 WHERE m = :month",
        {"month": "2024-01"},
        "SELECT 1 WHERE m = $month",
        "SELECT 1 WHERE m = %(month)s",
    ),  # the basic rewrite
    (
        "SELECT x::int FROM t WHERE a = :a",
        {"a": 1},
        "SELECT x::int FROM t WHERE a = $a",
        "SELECT x::int FROM t WHERE a = %(a)s",
    ),  # a cast is not a parameter
    (
        "SELECT ':no', \"col:x\" WHERE a = :a",
        {"a": 1},
        "SELECT ':no', \"col:x\" WHERE a = $a",
        "SELECT ':no', \"col:x\" WHERE a = %(a)s",
    ),  # literals and quoted names are opaque
    (
        "SELECT 1 -- :no\nWHERE a = :a /* :no */",
        {"a": 1},
        "SELECT 1 -- :no\nWHERE a = $a /* :no */",
        "SELECT 1 -- :no\nWHERE a = %(a)s /* :no */",
    ),
    (
        "SELECT 'it''s :no' WHERE a LIKE '10%' AND b = :b",
        {"b": 2},
        "SELECT 'it''s :no' WHERE a LIKE '10%' AND b = $b",
        "SELECT 'it''s :no' WHERE a LIKE '10%%' AND b = %(b)s",
    ),  # psycopg needs % doubled
    (
        "SELECT :a, :a, 5 % 2",
        {"a": 1, "unused": 2},
        "SELECT $a, $a, 5 % 2",
        "SELECT %(a)s, %(a)s, 5 %% 2",
    ),  # repeated parameter; unused values dropped
]


@pytest.mark.parametrize(("sql", "params", "duck", "pg"), CASES)
def test_bind_params(sql: str, params: dict[str, object], duck: str, pg: str) -> None:
    used = {k: v for k, v in params.items() if k != "unused"}
    assert bind_params(sql, params, "duckdb") == (duck, used)
    assert bind_params(sql, params, "postgres") == (pg, used)


def test_without_params_the_sql_is_untouched() -> None:
    sql = "SELECT '10%', x::int, :not_bound"
    assert bind_params(sql, None, "postgres") == (sql, None)


def test_a_missing_value_is_named() -> None:
    with pytest.raises(KeyError, match=":month"):
        bind_params("SELECT :month", {}, "duckdb")


@pytest.mark.parametrize(
    ("values", "marks", "params"),
    [
        (["2024-07", "2024-08"], "(:m0, :m1)", {"m0": "2024-07", "m1": "2024-08"}),
        (["x' OR 1=1 --"], "(:m0)", {"m0": "x' OR 1=1 --"}),  # bound, never pasted
        ([], "(NULL)", {}),  # matches nothing, still valid SQL
    ],
)
def test_in_list_binds_each_value(values: list[str], marks: str, params: dict) -> None:
    assert in_list("m", values) == (marks, params)

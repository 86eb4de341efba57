"""The ``{{ ref('table') }}`` marker of gold SQL: what it renders to (the relation gold read
before refs existed), and the SQL it refuses because its inputs could not be told."""

from __future__ import annotations

import pytest

from sec_assets.gold.models import Inputs, model, model_names
from sec_assets.gold.refs import MONTHLY, RefError, reads, render, trusted_months_sql


def test_a_monthly_table_renders_to_its_trusted_months() -> None:
    sql = "SELECT * FROM {{ ref('fact_eventos') }} e JOIN {{ref( 'dim_geografia' )}} g ON true"
    trusted = f"(SELECT * FROM silver.fact_eventos WHERE month IN ({trusted_months_sql()}))"
    assert render(sql) == f"SELECT * FROM {trusted} e JOIN silver.dim_geografia g ON true"
    assert reads(sql) == {"fact_eventos", "dim_geografia", "month_checks"}


def test_every_month_of_a_monthly_table_is_asked_for_explicitly() -> None:
    sql = "SELECT month FROM {{ ref('snapshot_ledger', months='all') }}"
    assert render(sql) == "SELECT month FROM silver.snapshot_ledger"
    assert reads(sql) == {"snapshot_ledger"}  # no trusted months: no verdicts read


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM {{ ref('fact_eventoz') }} e", "unknown ref 'fact_eventoz'"),
        ("SELECT * FROM {{ ref('dim_empresa', months='all') }}", "monthly tables"),
        ("SELECT * FROM {{ ref('fact_eventos', months='some') }}", "months='all'"),
        ("SELECT * FROM {{ source('fact_eventos') }}", "is not a ref"),
        ("SELECT * FROM silver.dim_empresa", "silver.dim_empresa"),
        ("SELECT * FROM checked.fact_eventos e", "checked.fact_eventos"),
    ],
)
def test_sql_whose_inputs_cannot_be_told_is_refused(sql: str, message: str) -> None:
    with pytest.raises(RefError, match=message.replace("(", r"\(").replace("[", r"\[")):
        render(sql, where="query q")


def test_comments_may_name_silver_tables() -> None:
    sql = "-- counts silver.fact_eventos\nSELECT 1 FROM {{ ref('dim_tiempo') }}"
    assert reads(sql) == {"dim_tiempo"}


def test_every_model_reads_silver_through_refs_only() -> None:
    assert model_names()
    for name in model_names():
        m = model(name)
        assert m.reads, name  # at least one input, all known (refused otherwise)
        assert "{{" not in m.sql.split("--")[0]
        assert not any(f"checked.{t}" in m.sql for t in MONTHLY)


def test_inputs_combine_models_and_queries() -> None:
    both = Inputs(models=("time_series",)) | Inputs(
        queries={"q": "SELECT 1 FROM {{ ref('quarantine') }}"}
    )
    assert list(both.sources()) == ["time_series", "q"]
    # time_series sums peaks over the months of the finest cadence: it reads month_cadence.
    assert both.tables() == {
        "fact_eventos",
        "dim_geografia",
        "month_checks",
        "month_cadence",
        "quarantine",
    }

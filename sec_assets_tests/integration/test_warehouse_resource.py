"""WarehouseResource in a real in-process Dagster run: engine chosen at run time from the
environment, schema ensured, and a failing DSN reported without its password.

No ``from __future__ import annotations`` here: Dagster resolves the assets' annotations.
"""

import dagster as dg
import polars as pl
import pytest

from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse
from sec_assets.warehouse.resource import WarehouseResource

SECRET = "Res0urce-pw"


@dg.asset
def empresas_probe(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
    wh = warehouse.get_warehouse()
    assert wh is warehouse.get_warehouse()  # one warehouse per run
    frame = pl.DataFrame(
        {
            "empresa_id": ["enel"],
            "nombre_empresa": ["ENEL"],
            "nombre_oficial": ["Enel Distribución Chile S.A."],
            "is_unknown": [False],
            "seed_version": ["v1"],
        }
    )
    result = wh.upsert_dimension("dim_empresa", frame, key="empresa_id")
    context.add_output_metadata({"engine": wh.engine, "inserted": result.inserted})


def run(resource: WarehouseResource) -> dg.ExecuteInProcessResult:
    return dg.materialize([empresas_probe], resources={"warehouse": resource}, raise_on_error=False)


def test_without_a_dsn_the_run_uses_duckdb_under_data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEC_DATA_DIR", str(tmp_path / "env_data"))
    assert run(WarehouseResource()).success
    wh = DuckDBWarehouse(tmp_path / "env_data" / "warehouse.duckdb")
    assert wh.read("SELECT empresa_id FROM silver.dim_empresa")["empresa_id"].to_list() == ["enel"]


@pytest.mark.postgres
def test_the_dsn_comes_from_the_environment_at_run_time(pg_database, monkeypatch) -> None:
    resource = WarehouseResource(pg_dsn=dg.EnvVar("SEC_PG_DSN"))  # unset while defining it
    monkeypatch.setenv("SEC_PG_DSN", pg_database)
    result = run(resource)
    assert result.success
    [mat] = result.asset_materializations_for_node("empresas_probe")
    assert mat.metadata["engine"].value == "postgres"
    rows = PostgresWarehouse(pg_database).read("SELECT empresa_id FROM silver.dim_empresa")
    assert rows["empresa_id"].to_list() == ["enel"]


def test_a_failing_dsn_fails_the_run_without_leaking_it(monkeypatch) -> None:
    monkeypatch.setenv("SEC_PG_DSN", f"postgresql://sec:{SECRET}@127.0.0.1:1/sec")
    result = run(WarehouseResource(pg_dsn=dg.EnvVar("SEC_PG_DSN")))
    assert not result.success
    events = "\n".join(str(e) for e in result.all_events)
    assert "WarehouseConnectionError" in events
    assert "cannot connect to Postgres at 127.0.0.1:1/sec" in events  # where, never who
    assert SECRET not in events


@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "blank"])
def test_a_blank_dsn_is_duckdb_in_the_log_and_in_the_writes(tmp_path, monkeypatch, blank) -> None:
    """``SEC_PG_DSN`` set but holding no DSN names no Postgres: the run's log says DuckDB and
    the dimension lands in the DuckDB file, the one choice both read."""
    from sec_assets.resources import local_resources
    from sec_assets.silver.assets import dim_empresa

    monkeypatch.setenv("SEC_PG_DSN", blank)
    monkeypatch.setenv("SEC_DATA_DIR", str(tmp_path))
    with dg.instance_for_test() as instance:
        result = dg.materialize([dim_empresa], instance=instance, resources=local_resources())
        assert result.success
        info = [r.user_message for r in instance.all_logs(result.run_id) if r.level == 20]
    line = next(m for m in info if m.startswith("WarehouseResource settings:"))
    assert f"engine=duckdb, file={tmp_path / 'warehouse.duckdb'}" in line, line
    assert "postgres" not in line
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    assert wh.read("SELECT count(*) AS n FROM silver.dim_empresa")["n"][0] > 0

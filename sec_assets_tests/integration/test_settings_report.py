"""Every run starts by logging, at INFO, the settings that matter and where each came from;
never a secret."""

from __future__ import annotations

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_customers
from sec_assets.resources import local_resources
from sec_assets.warehouse.resource import WarehouseResource

PASSWORD = "hunter2-very-secret"


def test_run_logs_effective_settings_without_secrets(
    sim, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEC_HOURS_PER_DAY", "4")
    monkeypatch.setenv("SEC_HTTP_PROXY", f"http://user:{PASSWORD}@127.0.0.1:9")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [sec_customers],
            partition_key="2024-07",
            instance=instance,
            resources=local_resources(
                tmp_path, base_url=sim.base_url, requests_per_second=500, http_proxy=None
            ),
            raise_on_error=False,
        )
        records = instance.all_logs(result.run_id)
    info = [r.user_message for r in records if r.level == 20]
    client = next(m for m in info if m.startswith("SecClientResource settings:"))
    assert f"base_url={sim.base_url} [resource config]" in client
    assert "requests_per_second=500.0 [resource config]" in client
    assert "max_concurrency=4 [default]" in client
    assert "http_proxy=set [SEC_HTTP_PROXY]" in client
    bronze = next(m for m in info if m.startswith("BronzeResource settings:"))
    assert "hours_per_day=4 [SEC_HOURS_PER_DAY]" in bronze
    assert f"data_dir={tmp_path} [resource config]" in bronze
    assert not [r for r in records if PASSWORD in (r.user_message or "")]


def test_warehouse_engine_and_location_are_logged(pg_database, tmp_path) -> None:
    from sec_assets.silver.assets import dim_empresa

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [dim_empresa],
            instance=instance,
            resources={"warehouse": WarehouseResource(pg_dsn=pg_database)},
        )
        info = [r.user_message for r in instance.all_logs(result.run_id) if r.level == 20]
    line = next(m for m in info if m.startswith("WarehouseResource settings:"))
    assert "engine=postgres" in line and "[resource config]" in line

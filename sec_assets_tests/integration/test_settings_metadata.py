"""A materialization's metadata holds the settings in force and where each came from, as a
table the UI shows; secrets only as set/unset."""

from __future__ import annotations

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_customers, sec_snapshots
from sec_assets.bronze.national import sec_national_series
from sec_assets.gold.assets import golden_eventos
from sec_assets.gold.sync.resource import DashboardSinkResource
from sec_assets.resource_settings import SETTINGS_KEY
from sec_assets.resources import local_resources
from sec_assets.silver.assets import silver_observations
from sec_assets.silver.registry import SILVER_ASSETS

PROXY_PASSWORD = "proxy-pw-Zq81"
DSN_PASSWORD = "dsn-pw-Kx27"
KEY = "supabase-key-Wm55"


def _rows(metadata: dict) -> dict[tuple[str, str], dict]:
    table = metadata[SETTINGS_KEY]
    assert isinstance(table, dg.TableMetadataValue)
    return {(r.data["resource"], r.data["setting"]): r.data for r in table.records}


def test_month_run_shows_its_settings_without_secrets(
    sim, tmp_path, pg_database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local server trusts loopback: a DSN password is accepted and ignored.
    dsn = pg_database.replace("postgres@", f"postgres:{DSN_PASSWORD}@")
    monkeypatch.setenv("SEC_HOURS_PER_DAY", "2")
    # The simulator answers absolute-form requests, so it can stand as its own proxy.
    monkeypatch.setenv("SEC_HTTP_PROXY", sim.base_url.replace("://", f"://u:{PROXY_PASSWORD}@"))
    resources = local_resources(tmp_path, base_url=sim.base_url, pg_dsn=dsn, max_concurrency=4)
    with dg.instance_for_test() as instance:
        dims = ["dim_geografia", "dim_empresa", "dim_tiempo"]
        assert dg.materialize(SILVER_ASSETS, selection=dims, instance=instance, resources=resources)
        result = dg.materialize(
            [sec_snapshots, sec_customers, sec_national_series, silver_observations],
            partition_key="2024-07",
            instance=instance,
            resources=resources,
        )
        golden = dg.materialize(
            [golden_eventos], partition_key="2024-07", instance=instance, resources=resources
        )
        events = [
            *result.get_asset_materialization_events(),
            *golden.get_asset_materialization_events(),
        ]
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata for e in events}
    for asset in ("sec_customers", "sec_national_series"):  # the same table on every bronze run
        assert _rows(metadata[asset])[("SecClientResource", "base_url")]["value"] == sim.base_url
    golden_rows = _rows(metadata["golden_eventos"])
    assert golden_rows[("WarehouseResource", "data_dir")]["value"] == str(tmp_path)
    bronze = _rows(metadata["sec_snapshots"])
    base = bronze[("SecClientResource", "base_url")]
    assert (base["variable"], base["value"], base["source"]) == (
        "SEC_BASE_URL",
        sim.base_url,
        "resource config",
    )
    assert bronze[("SecClientResource", "http_proxy")]["value"] == "set"
    assert bronze[("SecClientResource", "http_proxy")]["source"] == "SEC_HTTP_PROXY"
    assert bronze[("SecClientResource", "max_concurrency")]["source"] == "resource config"
    assert bronze[("SecClientResource", "max_attempts")]["source"] == "default"
    assert bronze[("BronzeResource", "hours_per_day")]["value"] == "2"
    assert bronze[("BronzeResource", "hours_per_day")]["source"] == "SEC_HOURS_PER_DAY"
    silver = _rows(metadata["snapshot_ledger"])
    assert silver[("WarehouseResource", "pg_dsn")]["value"] == "set"
    assert silver[("WarehouseResource", "pg_dsn")]["source"] == "resource config"
    assert silver[("WarehouseResource", "data_dir")]["value"] == str(tmp_path)
    shown = repr(metadata)
    assert PROXY_PASSWORD not in shown and DSN_PASSWORD not in shown


def test_dashboard_sink_shows_key_as_set(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_URL", f"https://admin:{KEY}@example.supabase.co")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", KEY)
    sink = DashboardSinkResource.model_validate({"storage": {"data_dir": str(tmp_path)}})
    rows = _rows(sink.settings_metadata())
    key = rows[("DashboardSinkResource", "supabase_service_role_key")]
    assert (key["value"], key["source"]) == ("set", "SUPABASE_SERVICE_ROLE_KEY")
    assert rows[("DashboardSinkResource", "data_dir")]["source"] == "resource config"
    assert KEY not in repr(sink.settings_metadata())

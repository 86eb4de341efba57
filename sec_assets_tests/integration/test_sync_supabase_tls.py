"""The service-role key never travels in clear: the ``dashboard_stats`` asset, pointed at a
plain-HTTP Supabase URL on a non-loopback address of this machine, fails with one message
naming ``SUPABASE_URL`` and sends nothing; over loopback, plain HTTP still works.

No ``from __future__ import annotations`` here: Dagster resolves the asset's annotations.
"""

import socket
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.gold.assets import dashboard_stats
from sec_assets.gold.contract import DASHBOARD_IDS, RESEARCH_IDS
from sec_assets.gold.local_files import write_payload
from sec_assets.gold.sync import DashboardSinkResource
from sec_assets.resource_settings import StorageResource
from sec_assets.warehouse.resource import WarehouseResource
from sec_assets_tests.integration.test_sync_supabase_http import KEY, FakePostgrest


def outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def serve(host: str) -> Iterator[FakePostgrest]:
    server = FakePostgrest(host)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def lan_fake() -> Iterator[FakePostgrest]:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to listen on")
    yield from serve(address)


@pytest.fixture
def loopback_fake() -> Iterator[FakePostgrest]:
    yield from serve("127.0.0.1")


def publish_run(data: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> dg.ExecuteInProcessResult:
    for payload_id in (*DASHBOARD_IDS, *RESEARCH_IDS):
        write_payload(data, payload_id, [])
    monkeypatch.setenv("SUPABASE_URL", url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", KEY)
    storage = StorageResource(data_dir=str(data))
    resources = {
        "warehouse": WarehouseResource(storage=storage),
        "dashboard": DashboardSinkResource(
            supabase_url=dg.EnvVar("SUPABASE_URL"),
            supabase_service_role_key=dg.EnvVar("SUPABASE_SERVICE_ROLE_KEY"),
            storage=storage,
        ),
    }
    return dg.materialize([dashboard_stats], resources=resources, raise_on_error=False)


def test_plain_http_to_another_host_sends_nothing(
    lan_fake: FakePostgrest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = publish_run(tmp_path / "data", lan_fake.url, monkeypatch)
    assert not result.success
    assert lan_fake.requests == []  # not one request, so not one copy of the key
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error)
    assert "SUPABASE_URL must be an https:// URL" in message and lan_fake.url in message
    events = "\n".join(str(e) for e in result.all_events)
    assert KEY not in events


def test_plain_http_on_loopback_still_publishes(
    loopback_fake: FakePostgrest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = publish_run(tmp_path / "data", loopback_fake.url, monkeypatch)
    assert result.success
    assert sorted(loopback_fake.tables["dashboard_stats"]) == sorted(DASHBOARD_IDS)
    assert sorted(loopback_fake.tables["research_stats"]) == sorted(RESEARCH_IDS)

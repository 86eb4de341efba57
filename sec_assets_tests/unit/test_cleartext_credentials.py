"""A password sent in clear is warned about, never shown: a proxy's over plain HTTP to another
host (once per process), the Postgres DSN's to another host without a TLS sslmode. https
proxies, sslmode=require and loopback hosts are not."""

import asyncio
import logging
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.cleartext import is_loopback, sends_credentials_in_clear
from sec_assets.sec_client import proxy_check
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import SecClient
from sec_assets.settings import load_settings
from sec_assets.warehouse.dsn import clear_password_hosts
from sec_assets.warehouse.resource import WarehouseResource

PASSWORD = "s3cr3t-Pa55"


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy_check, "_warned", set())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.200.3.4", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("192.0.2.2", False),
        ("10.0.0.1", False),
        ("127.0.0.1.nip.io", False),  # a name is not an address
        ("::ffff:10.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("proxy", "in_clear"),
    [
        (f"http://user:{PASSWORD}@proxy.example:3128", True),
        (f"http://user:{PASSWORD}@192.0.2.2:3128", True),
        ("http://user@proxy.example:3128", True),
        (f"socks5://user:{PASSWORD}@proxy.example:1080", True),
        (f"https://user:{PASSWORD}@proxy.example:3128", False),
        (f"http://user:{PASSWORD}@127.0.0.1:3128", False),
        (f"http://user:{PASSWORD}@localhost:3128", False),
        ("http://proxy.example:3128", False),  # no credentials to leak
    ],
)
def test_credentials_in_clear(proxy: str, in_clear: bool) -> None:
    assert sends_credentials_in_clear(proxy) is in_clear


def open_client(tmp_path: Path, proxy: str) -> None:
    settings = load_settings(http_proxy=proxy, data_dir=tmp_path)

    async def run() -> None:
        async with SecClient(settings, CircuitBreaker(tmp_path / "breaker.json")):
            pass

    asyncio.run(run())


def test_a_clear_proxy_password_is_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    proxy = f"http://user:{PASSWORD}@192.0.2.2:3128"
    for _ in range(3):  # three clients of one run (snapshots, customers, national)
        open_client(tmp_path, proxy)
    [line] = [r.getMessage() for r in caplog.records if "SEC_HTTP_PROXY" in r.getMessage()]
    assert "in clear" in line and "'192.0.2.2'" in line and "https://" in line
    assert PASSWORD not in caplog.text and "user:" not in caplog.text


@pytest.mark.parametrize(
    "proxy",
    [f"https://user:{PASSWORD}@192.0.2.2:3128", f"http://user:{PASSWORD}@127.0.0.1:3128"],
)
def test_a_tls_or_loopback_proxy_is_not_warned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, proxy: str
) -> None:
    open_client(tmp_path, proxy)
    assert "SEC_HTTP_PROXY" not in caplog.text


@pytest.mark.parametrize(
    ("dsn", "hosts"),
    [
        (f"postgresql://sec:{PASSWORD}@db.example.org/sec", ["db.example.org"]),
        (f"postgresql://sec:{PASSWORD}@10.0.0.5:5432/sec?sslmode=prefer", ["10.0.0.5"]),
        (f"host=db.example.org password={PASSWORD} sslmode=disable", ["db.example.org"]),
        (f"postgresql://sec:{PASSWORD}@db.example.org/sec?sslmode=require", []),
        (f"postgresql://sec:{PASSWORD}@db.example.org/sec?sslmode=verify-full", []),
        (f"postgresql://sec:{PASSWORD}@127.0.0.1/sec", []),
        (f"postgresql://sec:{PASSWORD}@localhost/sec", []),
        (f"host=/var/run/postgresql password={PASSWORD}", []),  # a Unix socket
        ("postgresql://sec@db.example.org/sec", []),  # no password in it
    ],
)
def test_a_dsn_password_without_tls(dsn: str, hosts: list[str]) -> None:
    assert clear_password_hosts(dsn) == hosts


def test_pgsslmode_counts_when_the_dsn_says_nothing() -> None:
    dsn = f"postgresql://sec:{PASSWORD}@db.example.org/sec"
    assert clear_password_hosts(dsn, "require") == []
    assert clear_password_hosts(dsn + "?sslmode=disable", "require") == ["db.example.org"]


def test_the_warehouse_resource_warns_about_a_clear_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through a run: the warning is in the run's log, the password is not (the warehouse is
    never connected to: the asset does not use it)."""
    monkeypatch.delenv("PGSSLMODE", raising=False)

    @dg.asset
    def probe(warehouse: WarehouseResource) -> None:
        pass

    dsn = f"postgresql://sec:{PASSWORD}@192.0.2.2:1/sec"
    instance = dg.DagsterInstance.ephemeral()
    resources = {"warehouse": WarehouseResource(pg_dsn=dsn)}
    result = dg.materialize([probe], resources=resources, instance=instance)
    said = [e.user_message for e in instance.all_logs(result.run_id)]
    assert result.success and not any(PASSWORD in m for m in said)
    [line] = [m for m in said if "SEC_PG_DSN" in m and "without TLS" in m]
    assert "192.0.2.2" in line and "sslmode=require" in line

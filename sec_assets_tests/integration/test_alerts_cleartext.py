"""The alert channels send their credentials only over TLS: a webhook URL (its path is the
credential) over plain http to a host that is not loopback, or an SMTP password with
``SEC_ALERT_SMTP_SECURITY=none`` to such a host, is refused before anything is sent; the
notice stays pending and the reason names the setting, never the secret."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from sec_assets.automation.alerts.book import AlertBook
from sec_assets.automation.alerts.channels import EmailChannel, WebhookChannel, deliver
from sec_assets.automation.alerts.settings import AlertSettings
from sec_assets_tests.alert_receivers import SMTP_PASSWORD, WEBHOOK_TOKEN, webhook_receiver
from sec_assets_tests.integration.test_alerts_channels import book_with_one_alert
from sec_assets_tests.integration.test_sync_supabase_tls import outward_address

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def lan() -> str:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to listen on")
    return address


@pytest.fixture
def listener(lan: str) -> Iterator[socket.socket]:
    """A TCP socket on the LAN address that would accept an SMTP connection."""
    with socket.create_server((lan, 0)) as server:
        server.setblocking(False)
        yield server


def accepted(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def settings(**values: object) -> AlertSettings:
    return AlertSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_plain_http_webhook_to_another_host_gets_nothing(lan: str) -> None:
    with webhook_receiver(lan) as hook:
        s = settings(webhook_url=SecretStr(hook.url))
        book, lines = book_with_one_alert(), []
        assert deliver(book, [WebhookChannel(s)], lines.append, str) == []
        assert hook.paths == []  # not one request: the token stayed here
    [line] = lines
    assert "SEC_ALERT_WEBHOOK_URL must be an https:// URL" in line and lan in line
    assert WEBHOOK_TOKEN not in line and [n.pending for n in book.outbox] == [["webhook"]]


def test_a_plain_http_webhook_on_loopback_is_delivered() -> None:
    with webhook_receiver() as hook:
        s = settings(webhook_url=SecretStr(hook.url))
        book = book_with_one_alert()
        assert deliver(book, [WebhookChannel(s)], print, str) == [
            "sent opened breaker_open by webhook"
        ]
        assert len(hook.posts) == 1


def test_an_smtp_password_without_encryption_to_another_host_is_not_sent(
    lan: str, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    s = settings(
        smtp_host=lan,
        smtp_port=port,
        smtp_security="none",
        smtp_user="alerts@example.org",
        smtp_password=SecretStr(SMTP_PASSWORD),
        email_to="ops@example.org",
    )
    book, lines = book_with_one_alert(), []
    assert deliver(book, [EmailChannel(s)], lines.append, str) == []
    assert accepted(listener) == 0  # not even connected to
    [line] = lines
    assert "SEC_ALERT_SMTP_SECURITY=none" in line and SMTP_PASSWORD not in line
    assert isinstance(book, AlertBook) and [n.pending for n in book.outbox] == [["email"]]

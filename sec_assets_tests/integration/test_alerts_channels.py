"""The alert channels against real receivers on loopback: email over SMTP with STARTTLS and
AUTH (aiosmtpd, a certificate made for the test), and a webhook taking Slack's JSON. A channel
that fails keeps the notice for the next evaluation and says why without the secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sec_assets.automation.alerts.book import AlertBook, Cause
from sec_assets.automation.alerts.channels import EmailChannel, configured, deliver
from sec_assets.automation.alerts.settings import AlertSettings
from sec_assets_tests.alert_receivers import (
    SECRETS,
    SMTP_PASSWORD,
    SmtpReceiver,
    WebhookReceiver,
    alert_env,
    smtp_receiver,
    webhook_receiver,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpReceiver]:
    with smtp_receiver(tmp_path) as receiver:
        yield receiver


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def settings(smtp: SmtpReceiver, hook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch):
    for name, value in alert_env(smtp, hook).items():
        monkeypatch.setenv(name, value)
    return AlertSettings()


def book_with_one_alert() -> AlertBook:
    book = AlertBook()
    book.occur(
        Cause("breaker_open", "SEC circuit breaker is OPEN", "5 x HTTP 500", "reset", 1e9, "o")
    )
    return book


def test_one_notice_reaches_both_channels_once(
    settings: AlertSettings, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    book, lines = book_with_one_alert(), []
    outcomes = deliver(book, configured(settings), lines.append, str)
    assert outcomes == ["sent opened breaker_open by email", "sent opened breaker_open by webhook"]
    assert book.outbox == [] and lines == []
    [mail] = smtp.mails
    assert smtp.tls_sessions == 1 and smtp.logins == [("alerts@example.org", SMTP_PASSWORD)]
    assert mail["Subject"] == "[sec_assets] ALERT: SEC circuit breaker is OPEN"
    assert mail["To"] == "ops@example.org, research@example.org"
    assert "Why: 5 x HTTP 500" in mail.get_content()
    [post] = hook.posts
    assert post["text"].startswith("[sec_assets] ALERT: SEC circuit breaker is OPEN")
    assert [b["type"] for b in post["blocks"]] == ["header", "section"]
    assert deliver(book, configured(settings), lines.append, str) == []  # nothing sent twice
    assert len(smtp.mails) == len(hook.posts) == 1
    for text in [*smtp.texts(), str(post), *lines]:
        assert not any(s in text for s in SECRETS)


def test_a_burst_of_notices_is_one_digest_per_channel(
    settings: AlertSettings, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    book = book_with_one_alert()
    for month in ["2024-01", "2024-02", "2024-03", "2024-04"]:
        cause = Cause(f"run_failed:{month}:sec_snapshots", f"{month} failed", "500", "do", 1e9, "r")
        book.occur(cause)
    assert deliver(book, configured(settings), print, str) == [
        "sent a digest of 5 notices by email",
        "sent a digest of 5 notices by webhook",
    ]
    [mail], [post] = smtp.mails, hook.posts
    assert mail["Subject"] == "[sec_assets] 5 alerts: 5 opened, 0 resolved"
    assert mail.get_content().count("[sec_assets] ALERT: ") == 5
    assert [b["type"] for b in post["blocks"]] == ["header"] + ["section"] * 5
    assert "*[sec_assets] ALERT: 2024-03 failed*" in post["blocks"][4]["text"]["text"]
    assert book.outbox == []


def test_a_failing_channel_keeps_the_notice_and_its_error_names_no_secret(
    settings: AlertSettings, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    hook.status = 403
    book, lines = book_with_one_alert(), []
    outcomes = deliver(book, configured(settings), lines.append, str)
    assert outcomes == ["sent opened breaker_open by email"]
    [line] = lines
    assert "not delivered by webhook" in line and "HTTP 403" in line
    assert not any(s in line for s in SECRETS)
    assert [n.pending for n in book.outbox] == [["webhook"]]
    hook.status = 200
    assert deliver(book, configured(settings), lines.append, str) == [
        "sent opened breaker_open by webhook"
    ]
    assert len(smtp.mails) == 1 and len(hook.posts) == 1 and book.outbox == []
    assert "breaker_open" in AlertBook.parse(book.dumps()).open


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(
    settings: AlertSettings, smtp: SmtpReceiver
) -> None:
    untrusted = settings.model_copy(update={"smtp_ca_file": None})  # the system's CAs only
    lines: list[str] = []
    book = book_with_one_alert()
    deliver(book, [EmailChannel(untrusted)], lines.append, str)
    assert "not delivered by email" in lines[0] and "CERTIFICATE_VERIFY_FAILED" in lines[0]
    assert smtp.mails == [] and smtp.logins == [] and len(book.outbox) == 1


def test_smtp_over_implicit_tls(settings: AlertSettings, tmp_path: Path) -> None:
    (tmp_path / "465").mkdir()
    with smtp_receiver(tmp_path / "465", implicit_tls=True) as smtps:
        ssl_settings = settings.model_copy(
            update={"smtp_security": "ssl", "smtp_port": smtps.port, "smtp_ca_file": smtps.ca_file}
        )
        book = book_with_one_alert()
        assert deliver(book, [EmailChannel(ssl_settings)], print, str) == [
            "sent opened breaker_open by email"
        ]
    [mail] = smtps.mails
    assert smtps.tls_sessions == 1 and mail["Subject"].endswith("SEC circuit breaker is OPEN")


def test_no_channel_by_default_logs_what_it_would_send(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["SEC_ALERT_SMTP_HOST", "SEC_ALERT_WEBHOOK_URL", "SEC_ALERT_EMAIL_TO"]:
        monkeypatch.delenv(name, raising=False)
    settings = AlertSettings(_env_file=None)  # type: ignore[call-arg]
    assert configured(settings) == []
    book, lines = book_with_one_alert(), []
    assert deliver(book, [], lines.append, str) == ["would send opened breaker_open"]
    assert "would send" in lines[0] and "SEC circuit breaker is OPEN" in lines[0]
    assert book.outbox == []


def test_the_settings_never_show_a_secret(settings: AlertSettings) -> None:
    shown = f"{settings!r} {settings} {settings.model_dump()}"
    assert not any(s in shown for s in SECRETS)
    assert all(any(s in x for x in settings.secrets()) for s in SECRETS)

"""Delivery: email over SMTP and a webhook taking Slack's JSON, as the settings configure them.

Each channel raises :class:`DeliveryError` with a message fit for a log (no host credentials,
no webhook URL); :func:`deliver` tries every pending notice on every channel that has not taken
it yet and keeps the rest for the next evaluation. With no channel configured, notices are
written to the log instead ("would send"), which is what the demo shows.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from sec_assets.automation.alerts import messages
from sec_assets.automation.alerts.book import MAX_ATTEMPTS, AlertBook, Notice
from sec_assets.automation.alerts.settings import AlertSettings


class DeliveryError(Exception):
    """A channel did not take a notice; the message names the channel and the reason only."""


class Channel(Protocol):
    name: str

    def send(self, notice: Notice) -> None: ...


@dataclass
class EmailChannel:
    settings: AlertSettings
    name: str = "email"

    def _tls(self) -> ssl.SSLContext:
        ca = self.settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        host, timeout = s.smtp_host or "", s.smtp_timeout_s
        if s.smtp_security == "ssl":
            return smtplib.SMTP_SSL(host, s.smtp_port, timeout=timeout, context=self._tls())
        smtp = smtplib.SMTP(host, s.smtp_port, timeout=timeout)
        if s.smtp_security == "starttls":
            smtp.starttls(context=self._tls())
        return smtp

    def message(self, notice: Notice) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = messages.subject(notice)
        msg["From"] = self.settings.email_from or f"sec-assets@{self.settings.smtp_host}"
        msg["To"] = ", ".join(self.settings.recipients)
        msg.set_content(messages.body(notice))
        return msg

    def send(self, notice: Notice) -> None:
        s = self.settings
        try:
            with self._connect() as smtp:
                if s.smtp_user and s.smtp_password is not None:
                    smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
                smtp.send_message(self.message(notice))
        except (OSError, smtplib.SMTPException) as exc:
            # SMTP errors carry the server's reply, never our password; still redacted later.
            raise DeliveryError(f"email via {s.smtp_host}:{s.smtp_port}: {exc!r}") from None


@dataclass
class WebhookChannel:
    settings: AlertSettings
    name: str = "webhook"

    def send(self, notice: Notice) -> None:
        url = self.settings.webhook_url
        assert url is not None
        try:
            answer = httpx.post(
                url.get_secret_value(),
                json=messages.webhook_payload(notice),
                timeout=self.settings.webhook_timeout_s,
            )
        except httpx.HTTPError as exc:
            # httpx's messages may contain the URL: name the error's type only.
            raise DeliveryError(f"webhook: {type(exc).__name__}") from None
        if answer.status_code >= 300:
            raise DeliveryError(f"webhook: HTTP {answer.status_code} {answer.text[:200]!r}")


def configured(settings: AlertSettings) -> list[Channel]:
    """The channels the settings turn on (none by default)."""
    channels: list[Channel] = []
    if settings.email_enabled:
        channels.append(EmailChannel(settings))
    if settings.webhook_url is not None:
        channels.append(WebhookChannel(settings))
    return channels


def deliver(
    book: AlertBook,
    channels: list[Channel],
    log: Callable[[str], None],
    clean: Callable[[str], str],
) -> list[str]:
    """Send the outbox; what each channel took leaves it. Returns one line per outcome."""
    names = [c.name for c in channels]
    by_name = {c.name: c for c in channels}
    book.address(names)
    outcomes: list[str] = []
    kept: list[Notice] = []
    for notice in book.outbox:
        label = f"{notice.kind} {notice.alert.key}"
        if not channels:
            log(f"no alert channel configured (SEC_ALERT_*); would send:\n{messages.text(notice)}")
            outcomes.append(f"logged {label}")
            continue
        notice.attempts += 1
        for name in [n for n in notice.pending if n in by_name]:
            try:
                by_name[name].send(notice)
            except DeliveryError as exc:
                log(
                    clean(
                        f"alert {label} not delivered by {name} (attempt {notice.attempts}): {exc}"
                    )
                )
                continue
            notice.pending.remove(name)
            outcomes.append(f"sent {label} by {name}")
        notice.pending = [n for n in notice.pending if n in by_name]
        if notice.pending and notice.attempts < MAX_ATTEMPTS:
            kept.append(notice)
        elif notice.pending:
            log(f"alert {label} dropped after {notice.attempts} failed deliveries")
    book.outbox = kept
    return outcomes

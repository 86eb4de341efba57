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

from sec_assets.automation.alerts import messages
from sec_assets.automation.alerts.book import MAX_ATTEMPTS, AlertBook, Notice
from sec_assets.automation.alerts.messages import Message
from sec_assets.automation.alerts.settings import AlertSettings
from sec_assets.cleartext import LOOPBACK_HOSTS, host_of, is_loopback, tls_or_loopback

DIGEST_OVER = 3  # more notices than this in one evaluation go as one digest per channel


class DeliveryError(Exception):
    """A channel did not take a notice; the message names the channel and the reason only."""


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


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

    def email(self, message: Message) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = message.subject
        msg["From"] = self.settings.email_from or f"sec-assets@{self.settings.smtp_host}"
        msg["To"] = ", ".join(self.settings.recipients)
        msg.set_content(message.body)
        return msg

    def send(self, message: Message) -> None:
        s = self.settings
        if (
            s.smtp_security == "none"
            and s.smtp_password is not None
            and not is_loopback(s.smtp_host)
        ):
            raise DeliveryError(
                f"email via {s.smtp_host}:{s.smtp_port}: SEC_ALERT_SMTP_SECURITY=none would send "
                "the SMTP password in clear; use starttls or ssl, or a relay on a loopback "
                f"address ({LOOPBACK_HOSTS}). Nothing was sent."
            )
        try:
            with self._connect() as smtp:
                if s.smtp_user and s.smtp_password is not None:
                    smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
                smtp.send_message(self.email(message))
        except (OSError, smtplib.SMTPException) as exc:
            # SMTP errors carry the server's reply, never our password; still redacted later.
            raise DeliveryError(f"email via {s.smtp_host}:{s.smtp_port}: {exc!r}") from None


@dataclass
class WebhookChannel:
    settings: AlertSettings
    name: str = "webhook"

    def send(self, message: Message) -> None:
        import httpx

        url = self.settings.webhook_url
        assert url is not None
        if not tls_or_loopback(url.get_secret_value()):  # its path is the credential
            raise DeliveryError(
                f"webhook: SEC_ALERT_WEBHOOK_URL must be an https:// URL (its path is the "
                f"credential); plain http only to a loopback host ({LOOPBACK_HOSTS}), not "
                f"{host_of(url.get_secret_value())!r}. Nothing was sent."
            )
        try:
            answer = httpx.post(
                url.get_secret_value(),
                json=message.webhook_payload(),
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
    """Send the outbox; what each channel took leaves it. Up to ``DIGEST_OVER`` notices go one
    message each; more, as one digest per channel. Returns one line per outcome."""
    if not channels:
        for notice in book.outbox:
            log(f"no alert channel configured (SEC_ALERT_*); would send:\n{messages.text(notice)}")
        outcomes = [f"would send {n.kind} {n.alert.key}" for n in book.outbox]
        book.outbox = []
        return outcomes
    book.address([c.name for c in channels])
    outcomes = []
    for notice in book.outbox:
        notice.attempts += 1
    for channel in channels:
        batch = [n for n in book.outbox if channel.name in n.pending]
        groups = [[n] for n in batch] if len(batch) <= DIGEST_OVER else [batch]
        for group in groups:
            label = _label(group)
            try:
                channel.send(
                    messages.render(group[0]) if len(group) == 1 else messages.digest(group)
                )
            except DeliveryError as exc:
                tries = max(n.attempts for n in group)
                log(
                    clean(f"alert {label} not delivered by {channel.name} (attempt {tries}): {exc}")
                )
                continue
            for notice in group:
                notice.pending.remove(channel.name)
            outcomes.append(f"sent {label} by {channel.name}")
    book.outbox = _kept(book.outbox, {c.name for c in channels}, log)
    return outcomes


def _label(group: list[Notice]) -> str:
    if len(group) == 1:
        return f"{group[0].kind} {group[0].alert.key}"
    return f"a digest of {len(group)} notices"


def _kept(outbox: list[Notice], names: set[str], log: Callable[[str], None]) -> list[Notice]:
    """The notices some configured channel has still to take, within ``MAX_ATTEMPTS``."""
    kept = []
    for notice in outbox:
        notice.pending = [n for n in notice.pending if n in names]
        if notice.pending and notice.attempts < MAX_ATTEMPTS:
            kept.append(notice)
        elif notice.pending:
            log(f"alert {notice.kind} {notice.alert.key} dropped after {notice.attempts} attempts")
    return kept

"""One evaluation of an alert sensor, around its pure part: read the book from the cursor, let
the sensor fold what it observed, deliver the outbox, write the book back, say what happened."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from sec_assets.automation.alerts.book import AlertBook, Cause
from sec_assets.automation.alerts.channels import Channel, configured, deliver
from sec_assets.automation.alerts.settings import AlertSettings, load_alert_settings
from sec_assets.secrets.redactor import Redactor
from sec_assets.secrets.sources import configured_secrets
from sec_assets.settings import SecSettings

Channels = Callable[[AlertSettings], list[Channel]]


def redactor(alerts: AlertSettings, settings: SecSettings) -> Redactor:
    """Masks every secret the platform knows: the alert channels' and the SEC settings'."""
    return Redactor([*alerts.secrets(), *configured_secrets(settings)])


def evaluate(
    context: dg.SensorEvaluationContext,
    settings: SecSettings,
    fold: Callable[[AlertBook, Callable[[Cause], Cause]], None],
    channels: Channels = configured,
) -> dg.SensorResult:
    """Fold this evaluation's observations into the book (``fold`` gets the book and the
    redaction of a cause), then deliver to ``channels(settings)`` and persist. Never raises for
    a channel's failure."""
    alerts = load_alert_settings()
    clean = redactor(alerts, settings)
    book = AlertBook.parse(context.cursor)
    fold(book, lambda cause: cause.cleaned(clean.text))
    outcomes = deliver(
        book,
        channels(alerts),
        log=lambda line: (
            context.log.warning(clean.text(line))
            if "not delivered" in line or "dropped" in line
            else context.log.info(clean.text(line))
        ),
        clean=clean.text,
    )
    shown = ", ".join(sorted(book.open)[:8]) + (" …" if len(book.open) > 8 else "")
    parts = [f"{len(book.open)} open alert(s)" + (f": {shown}" if book.open else "")]
    if outcomes:
        parts.append("; ".join(outcomes))
    if book.outbox:
        parts.append(f"{len(book.outbox)} notice(s) waiting for a channel")
    return dg.SensorResult(skip_reason=dg.SkipReason(". ".join(parts)), cursor=book.dumps())

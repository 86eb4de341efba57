"""Publish every payload through one sink, collecting each outcome: one failure hides none."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sec_assets.gold.sync.envelope import envelope
from sec_assets.gold.sync.errors import DashboardSinkError, redact
from sec_assets.gold.sync.report import PublishReport, Target


class Sink(Protocol):
    target: Target

    @property
    def location(self) -> str: ...

    def write(self, row: dict[str, Any]) -> None: ...

    def prune(self, keep: set[str]) -> list[str]: ...

    def close(self) -> None: ...


def publish_payloads(
    payloads: Mapping[str, Any],
    sink: Sink,
    *,
    logger: logging.Logger | None = None,
    secrets: tuple[str | None, ...] = (),
    now: datetime | None = None,
    prune: bool = False,
) -> PublishReport:
    """Write each payload as a ``{"id", "data", "updated_at"}`` row; never raises for one
    payload's failure. All rows of one publication share ``updated_at``. With ``prune``, rows
    whose id is not among ``payloads`` are then deleted, so a reader never sees a figure we no
    longer publish (a failed prune is reported under the id ``<prune>``). The sink is closed."""
    log = logger or logging.getLogger(__name__)
    stamp = now or datetime.now(UTC)
    report = PublishReport(target=sink.target, location=sink.location)
    try:
        for payload_id, data in payloads.items():
            try:
                sink.write(envelope(payload_id, data, now=stamp))
            except Exception as exc:  # recorded per payload, reported below
                if isinstance(exc, DashboardSinkError):
                    reason = exc.reason
                else:
                    reason = f"{type(exc).__name__}: {exc}"
                report.failed[payload_id] = redact(reason, *secrets)
                log.error("dashboard_stats: %r failed: %s", payload_id, report.failed[payload_id])
            else:
                report.published.append(payload_id)
                log.info("dashboard_stats: published %r to %s", payload_id, report.location)
        if prune:
            _prune(sink, set(payloads), report, log, secrets)
    finally:
        sink.close()
    log.info(
        "dashboard_stats: %d published, %d failed (%s: %s)",
        len(report.published),
        len(report.failed),
        report.target,
        report.location,
    )
    return report


def _prune(
    sink: Sink,
    keep: set[str],
    report: PublishReport,
    log: logging.Logger,
    secrets: tuple[str | None, ...],
) -> None:
    try:
        report.removed = sorted(sink.prune(keep))
    except Exception as exc:  # reported like a payload's failure
        reason = (
            exc.reason if isinstance(exc, DashboardSinkError) else f"{type(exc).__name__}: {exc}"
        )
        report.failed["<prune>"] = redact(reason, *secrets)
        log.error("dashboard_stats: deleting stale ids failed: %s", report.failed["<prune>"])
    else:
        if report.removed:
            log.info(
                "dashboard_stats: deleted stale ids %s from %s", report.removed, report.location
            )

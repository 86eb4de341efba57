"""Alerts on staleness, as they run: the open month's bronze fetched from the simulator over
HTTP, then left behind by the clock, and gold's newest materialization on a real instance older
than its freshness window; each received once, then resolved when made up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.automation.alerts import build_freshness_alerts_sensor
from sec_assets.automation.alerts.preview import preview
from sec_assets.month import CHILE
from sec_assets_tests.alert_receivers import (
    SensorTicks,
    SmtpReceiver,
    WebhookReceiver,
    channels_on,
    fast_resources,
    received,
)
from sec_tools.demo import run_selection

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def channels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SmtpReceiver, WebhookReceiver]]:
    with channels_on(tmp_path, monkeypatch) as both:
        yield both


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_stalled_open_month_alerts_once_and_resolves_when_made_up(
    sim, channels, tmp_path: Path
) -> None:
    smtp, hook = channels
    resources = fast_resources(tmp_path / "data", sim.base_url, hours_per_day=1)
    instance = dg.DagsterInstance.ephemeral()
    # 2024-09-01 12:00 in Chile, the open month 2024-09: its 00:00 hour is 12 hours old.
    clock = Clock(datetime(2024, 9, 1, 12, tzinfo=CHILE).astimezone(UTC))
    ticks = SensorTicks(build_freshness_alerts_sensor(clock=clock), instance, resources)
    assert run_selection(["sec_snapshots"], resources, instance, "2024-08").success
    ticks()
    clock.now += timedelta(hours=1)
    ticks()  # still behind: counted, not sent again
    assert received(smtp, hook) == [
        "[sec_assets] ALERT: the open month 2024-09's bronze is 12 h 0 min behind the clock "
        "(limit 6 h, SEC_ALERT_BRONZE_LAG_H)"
    ]
    text = smtp.texts()[0]
    assert "Month: 2024-09" in text and "newest valid hour is 2024-08-31T00" in text
    assert "Since: 2024-09-01 06:00 -04" in text
    assert "open_month_schedule" in text and "dagster-daemon run" in text

    assert run_selection(["sec_snapshots"], resources, instance, "2024-09").success
    ticks()
    assert received(smtp, hook)[1:] == [
        "[sec_assets] RESOLVED: the open month 2024-09's bronze is 12 h 0 min behind the clock "
        "(limit 6 h, SEC_ALERT_BRONZE_LAG_H)"
    ]
    assert "caught up" in smtp.texts()[1]


def test_gold_older_than_its_freshness_window_alerts_once_and_resolves(
    channels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp, hook = channels
    monkeypatch.setenv("SEC_ALERT_BRONZE_LAG_H", str(24 * 365 * 50))  # bronze is not the subject
    instance = dg.DagsterInstance.ephemeral()
    resources = fast_resources(tmp_path / "data", "http://127.0.0.1:9")
    clock = Clock(datetime.now(UTC))
    ticks = SensorTicks(build_freshness_alerts_sensor(clock=clock), instance, resources)
    ticks()
    assert received(smtp, hook) == []  # never materialized: a new deployment, not stale
    instance.report_runless_asset_event(dg.AssetMaterialization("dashboard_stats"))
    clock.now = datetime.now(UTC) + timedelta(hours=27)
    ticks(), ticks()
    [subject] = received(smtp, hook)
    assert subject.startswith(
        "[sec_assets] ALERT: gold is stale: dashboard_stats last materialized"
    )
    assert "beyond its freshness window (1 d 2 h 0 min)" in subject
    assert "gold_refresh" in smtp.texts()[0]

    instance.report_runless_asset_event(dg.AssetMaterialization("dashboard_stats"))
    clock.now = datetime.now(UTC) + timedelta(minutes=1)
    ticks()
    assert received(smtp, hook)[1].startswith("[sec_assets] RESOLVED: gold is stale")
    assert "was materialized again" in smtp.texts()[1]


def test_the_preview_returns_the_messages_and_sends_none(channels, tmp_path: Path) -> None:
    smtp, hook = channels
    instance = dg.DagsterInstance.ephemeral()
    resources = fast_resources(tmp_path / "data", "http://127.0.0.1:9")
    texts = preview(instance, resources)  # an empty data folder: the open month never fetched
    assert len(texts) == 1 and texts[0].startswith("[sec_assets] ALERT: the open month")
    assert "it has no valid hour" in texts[0]
    assert smtp.mails == [] and hook.posts == []

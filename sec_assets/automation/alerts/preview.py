"""What the alert sensors would send now, without sending it: each sensor evaluated once, from a
fresh cursor, on an instance, its notices collected instead of delivered (the demo prints them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg

from sec_assets.automation.alerts.messages import Message
from sec_assets.automation.alerts.sensors import (
    build_breaker_alerts_sensor,
    build_coverage_alerts_sensor,
    build_freshness_alerts_sensor,
    build_run_alerts_sensor,
)


@dataclass
class Collector:
    """A channel that keeps each message's text."""

    name: str = "preview"
    texts: list[str] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.texts.append(message.text)


def preview(instance: dg.DagsterInstance, resources: Mapping[str, object]) -> list[str]:
    """The messages every alert sensor would send on ``instance`` now."""
    collector = Collector()
    builders = [
        build_run_alerts_sensor,
        build_breaker_alerts_sensor,
        build_freshness_alerts_sensor,
        build_coverage_alerts_sensor,
    ]
    for build in builders:
        sensor = build(channels=lambda _: [collector])
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            sensor(context)
    return collector.texts

"""Alerts: the platform says when a run fails, a blocking check keeps a month out of gold, the
SEC circuit breaker opens, the open month's bronze or gold goes stale, or a month's coverage stays
low after the catch-up runs — once per cause, and again when it clears (``docs/alerts.md``).

Pure parts: ``book`` (folding), ``causes`` and ``state_causes`` (what each alert says),
``messages`` (text and webhook JSON). Around them: ``settings``, ``channels`` (SMTP, webhook),
``sources`` (the instance), ``tick`` and ``sensors``.
"""

from sec_assets.automation.alerts.sensors import (
    alert_sensors,
    breaker_alerts_sensor,
    build_breaker_alerts_sensor,
    build_coverage_alerts_sensor,
    build_freshness_alerts_sensor,
    build_run_alerts_sensor,
    coverage_alerts_sensor,
    freshness_alerts_sensor,
    run_alerts_sensor,
)

__all__ = [
    "alert_sensors",
    "breaker_alerts_sensor",
    "build_breaker_alerts_sensor",
    "build_coverage_alerts_sensor",
    "build_freshness_alerts_sensor",
    "build_run_alerts_sensor",
    "coverage_alerts_sensor",
    "freshness_alerts_sensor",
    "run_alerts_sensor",
]

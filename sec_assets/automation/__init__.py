"""Automation of sec_assets: jobs, schedules, sensors and freshness policies.

``definitions.py`` wires these in (``automation.jobs``, ``.schedules``, ``.sensors``,
``.with_freshness(assets)``):

- ``monthly_pipeline`` (monthly) and ``gold_refresh`` (unpartitioned): ``jobs.py``;
- ``closed_month_schedule`` (03:00 on the 1st) and ``open_month_schedule`` (hourly, :10):
  ``schedules.py``;
- ``incomplete_months_sensor``: ``sensors.py`` (gold follows silver by ``AutomationCondition``);
- freshness policies on the payloads, ``dashboard_stats`` and the open month's bronze and
  silver: ``freshness.py``;
- the alert sensors (runs, blocking checks, breaker, staleness, coverage): ``alerts/``.
"""

from sec_assets.automation.alerts import alert_sensors
from sec_assets.automation.freshness import freshness_policies, with_freshness
from sec_assets.automation.jobs import gold_refresh, jobs, monthly_pipeline
from sec_assets.automation.schedules import (
    closed_month_schedule,
    open_month_schedule,
    schedules,
)
from sec_assets.automation.sensors import (
    build_incomplete_months_sensor,
    incomplete_months_sensor,
)
from sec_assets.automation.sensors import sensors as launching_sensors

sensors = [*launching_sensors, *alert_sensors]

__all__ = [
    "build_incomplete_months_sensor",
    "closed_month_schedule",
    "freshness_policies",
    "gold_refresh",
    "incomplete_months_sensor",
    "jobs",
    "monthly_pipeline",
    "open_month_schedule",
    "schedules",
    "sensors",
    "with_freshness",
]

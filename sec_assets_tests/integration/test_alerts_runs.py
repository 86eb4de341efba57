"""Alerts on runs, checks, the breaker and coverage, as they run: real runs against the SEC
simulator over HTTP on a real instance, then the alert sensors evaluated on that instance with
their cursors carried over, delivering to a real SMTP server (STARTTLS, AUTH) and a webhook
receiver on loopback. Each cause is received once, repeats are folded, and it is resolved when
fixed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from sec_assets import automation
from sec_assets.automation.alerts import (
    build_breaker_alerts_sensor,
    build_coverage_alerts_sensor,
    build_run_alerts_sensor,
)
from sec_assets.automation.runs import TRIGGER_TAG
from sec_assets.definitions import defs
from sec_assets_tests.alert_receivers import (
    SECRETS,
    SensorTicks,
    SmtpReceiver,
    WebhookReceiver,
    channels_on,
    fast_resources,
    received,
)
from sec_sim import FaultKind, FaultRule
from sec_tools.demo import UNPARTITIONED, run_selection

pytestmark = pytest.mark.timeout(600)
PG_CONFIG = Path(__file__).resolve().parents[2] / "config" / "dagster_postgres.yaml"


@pytest.fixture
def channels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SmtpReceiver, WebhookReceiver]]:
    with channels_on(tmp_path, monkeypatch) as both:
        yield both


@pytest.fixture(params=["sqlite", "postgres"])
def instance_home(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A persistent instance's home: SQLite storage (run-sharded event logs), or Postgres as
    config/dagster_postgres.yaml sets it up."""
    home = tmp_path / "home"
    home.mkdir()
    if request.param == "postgres":
        shutil.copy(PG_CONFIG, home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_PG_URL", request.getfixturevalue("pg_database"))
    return home


def test_a_failing_month_and_the_open_breaker_alert_once_fold_and_resolve(
    sim, channels, tmp_path: Path, instance_home: Path
) -> None:
    smtp, hook = channels
    resources = fast_resources(tmp_path / "data", sim.base_url, hours_per_day=1)
    # The runs and the sensors each on their own instance object over the same storage, as the
    # run workers and the daemon are separate processes.
    instance = dg.DagsterInstance.from_config(str(instance_home))
    watcher = dg.DagsterInstance.from_config(str(instance_home))
    runs = SensorTicks(build_run_alerts_sensor(), watcher, resources)
    breaker = SensorTicks(build_breaker_alerts_sensor(), watcher, resources)

    sim.set_faults([FaultRule(kind=FaultKind.HTTP_500)])  # the service answers 500 to every hour
    for _ in range(2):
        assert not run_selection(["sec_snapshots"], resources, instance, "2024-08").success
        runs(), breaker()
    subjects = received(smtp, hook)
    assert subjects == [
        "[sec_assets] ALERT: sec_snapshots failed for 2024-08 (demo)",
        "[sec_assets] ALERT: SEC circuit breaker is OPEN: nothing is fetched from the SEC service",
    ]
    first = smtp.texts()[0]
    assert "Month: 2024-08" in first and "Since: " in first and "What to do:" in first
    assert "Reading a failed run's cause" in first and "Why: " in first
    assert "make reset-breaker" in smtp.texts()[1]
    folded = json.loads(runs.cursor or "")["open"]["run_failed:2024-08:sec_snapshots"]
    assert folded["count"] == 2

    sim.set_faults([])
    resources["sec_client"].breaker().reset()  # what `make reset-breaker` does
    assert run_selection(["sec_snapshots"], resources, instance, "2024-08").success
    runs(), breaker(), runs(), breaker()
    subjects = received(smtp, hook)[2:]
    assert subjects == [
        "[sec_assets] RESOLVED: sec_snapshots failed for 2024-08 (demo)",
        "[sec_assets] RESOLVED: SEC circuit breaker is OPEN: nothing is fetched from the SEC "
        "service",
    ]
    assert "occurred 2 times" in smtp.texts()[2] and "succeeded at it" in smtp.texts()[2]
    assert "closed again" in smtp.texts()[3]
    for cursor in (runs.cursor, breaker.cursor):
        assert not any(s in (cursor or "") for s in SECRETS)
    instance.dispose()
    watcher.dispose()


def monthly_pipeline(resources: dict) -> dg.JobDefinition:
    """The code location's monthly_pipeline over the test's resources."""
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[automation.monthly_pipeline],
        resources={**(defs.resources or {}), **resources},
    ).resolve_job_def("monthly_pipeline")


def test_a_blocked_month_and_its_low_coverage_alert_once_fold_and_resolve(
    sim, channels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp, hook = channels
    monkeypatch.setenv("SEC_ALERT_COVERAGE_AFTER_RUNS", "2")
    monkeypatch.setenv("SEC_BREAKER_FAILURE_THRESHOLD", "1000")  # failures spread over the month
    # Bronze accepts the month at 50% of its hours; silver's coverage check wants 95%.
    data = tmp_path / "data"
    resources = fast_resources(data, sim.base_url, hours_per_day=4, min_month_coverage=0.5)
    instance = dg.DagsterInstance.ephemeral()
    runs = SensorTicks(build_run_alerts_sensor(), instance, resources)
    coverage = SensorTicks(build_coverage_alerts_sensor(), instance, resources)
    job = monthly_pipeline(resources)

    def catch_up_run() -> dg.ExecuteInProcessResult:
        """A run as incomplete_months_sensor launches it."""
        return job.execute_in_process(
            partition_key="2024-09",
            instance=instance,
            tags={TRIGGER_TAG: "incomplete_months_sensor"},
            raise_on_error=False,
        )

    assert run_selection(UNPARTITIONED, resources, instance).success
    # A quarter of the sampled hours: 29 of 119 (2024-09-08T00 does not exist, clocks go forward).
    midnights = [f"2024-09-{d:02d}T00" for d in range(1, 31)]
    sim.set_faults([FaultRule(kind=FaultKind.HTTP_500, hours=midnights)])
    for _ in range(2):
        result = catch_up_run()
        assert not result.success
        assert any(not c.passed for c in result.get_asset_check_evaluations())
        runs(), coverage()
    subjects = received(smtp, hook)
    assert subjects == [
        "[sec_assets] ALERT: 2024-09 left out of gold: blocking check "
        "month_coverage_above_threshold failed on snapshot_ledger",
        "[sec_assets] ALERT: 2024-09: bronze coverage 75.6% after 2 catch-up runs, below 95% "
        "(SEC_MIN_MONTH_COVERAGE)",
    ]
    blocked = smtp.texts()[0]
    assert "The share of the month's hours with a usable answer" in blocked
    assert "1 offending row(s) in 2024-09" in blocked and "'usable': '90" in blocked
    book = json.loads(runs.cursor or "")["open"]
    assert list(book) == [
        "check_failed:2024-09:snapshot_ledger:month_coverage_above_threshold"
    ]  # the failed step is the check's alert, not a second one
    assert next(iter(book.values()))["count"] == 2

    sim.set_faults([])
    assert catch_up_run().success
    runs(), coverage()
    assert received(smtp, hook)[2:] == [s.replace("ALERT", "RESOLVED") for s in subjects]
    assert "the check passed" in smtp.texts()[2] and "back at or above 95%" in smtp.texts()[3]

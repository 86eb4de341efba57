"""The alert sensors: thin wiring of the instance, bronze and the breaker to the pure alerts.

Each keeps its :class:`~sec_assets.automation.alerts.book.AlertBook` in its own cursor, so the
state survives restarts and is shared by every process on the instance's storage (SQLite or
Postgres). Plain ``@dg.sensor``s rather than ``run_failure_sensor``: a run-status sensor's
cursor belongs to Dagster, and folding repeats and noticing a later success need a cursor of
ours; they read the same run-status records with public APIs. All run by default: with no
channel configured they only log what they would send.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import dagster as dg

from sec_assets.automation.alerts import causes, sources, state_causes
from sec_assets.automation.alerts.book import AlertBook, Cause
from sec_assets.automation.alerts.channels import configured
from sec_assets.automation.alerts.settings import load_alert_settings
from sec_assets.automation.alerts.tick import Channels, evaluate
from sec_assets.automation.coverage import SNAPSHOTS, month_coverage
from sec_assets.automation.freshness import FRESH_FAIL
from sec_assets.automation.jobs import monthly_pipeline
from sec_assets.automation.runs import PARTITION_TAG, TRIGGER_TAG
from sec_assets.bronze.resources import BronzeResource
from sec_assets.bronze.store import open_store
from sec_assets.month import Month
from sec_assets.resource_settings import StorageResource
from sec_assets.sec_client.resource import SecClientResource
from sec_assets.warehouse.resource import WarehouseResource

Clock = Callable[[], datetime]
RUNNING = dg.DefaultSensorStatus.RUNNING
FIRST_LOOKBACK = timedelta(hours=24)  # runs finished before a sensor's first tick are old news
GOLD_ASSET = "dashboard_stats"
CATCH_UP = "incomplete_months_sensor"
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_run_alerts_sensor(
    *, channels: Channels = configured, clock: Clock = _utc_now, interval_s: int = 60
) -> dg.SensorDefinition:
    @dg.sensor(
        name="run_alerts_sensor",
        minimum_interval_seconds=interval_s,
        default_status=RUNNING,
        description="Alerts once per cause when a run's step fails or a blocking check keeps a "
        "month out of gold; again when a later run clears it.",
    )
    def _sensor(context: dg.SensorEvaluationContext, storage: StorageResource) -> dg.SensorResult:
        def fold(book: AlertBook, clean: Callable[[Cause], Cause]) -> None:
            since = (clock() - FIRST_LOOKBACK).timestamp()
            for run in sources.finished_runs(context.instance, book.source, since):
                for key in causes.run_failures_cleared(run, list(book.open)):
                    book.resolve(key, run.at, f"run {run.run_id[:8]} of {run.job} succeeded at it")
                for key in causes.checks_cleared(run):
                    book.resolve(key, run.at, f"the check passed in run {run.run_id[:8]}")
                for cause in [*causes.run_failure_causes(run), *causes.check_causes(run)]:
                    book.occur(clean(cause))

        return evaluate(context, storage.settings, fold, channels)

    return _sensor


def build_breaker_alerts_sensor(
    *, channels: Channels = configured, interval_s: int = 60
) -> dg.SensorDefinition:
    @dg.sensor(
        name="breaker_alerts_sensor",
        minimum_interval_seconds=interval_s,
        default_status=RUNNING,
        description="Alerts when the SEC circuit breaker opens, and when it closes again.",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, sec_client: SecClientResource
    ) -> dg.SensorResult:
        def fold(book: AlertBook, clean: Callable[[Cause], Cause]) -> None:
            breaker = sec_client.breaker()
            cause = state_causes.breaker_cause(breaker.snapshot(), breaker.describe())
            book.reconcile(
                state_causes.BREAKER_KEY,
                [clean(cause)] if cause else [],
                breaker.clock(),
                "the breaker is closed again (a probe request succeeded, or it was reset)",
            )

        return evaluate(context, sec_client.settings, fold, channels)

    return _sensor


def build_freshness_alerts_sensor(
    *, channels: Channels = configured, clock: Clock = _utc_now, interval_s: int = 300
) -> dg.SensorDefinition:
    @dg.sensor(
        name="freshness_alerts_sensor",
        minimum_interval_seconds=interval_s,
        default_status=RUNNING,
        description="Alerts when the open month's bronze trails the clock by more than "
        "SEC_ALERT_BRONZE_LAG_H, or gold is older than its freshness window.",
    )
    def _sensor(context: dg.SensorEvaluationContext, bronze: BronzeResource) -> dg.SensorResult:
        def fold(book: AlertBook, clean: Callable[[Cause], Cause]) -> None:
            now, settings = clock(), bronze.settings
            month = Month.at(now)
            store = open_store(settings.bronze_root, SNAPSHOTS)
            stored = [*store.latest_good(month.prev().label), *store.latest_good(month.label)]
            lag = state_causes.bronze_lag_cause(
                month, stored, now, settings.hours_per_day, load_alert_settings().bronze_lag_h
            )
            book.reconcile(
                state_causes.BRONZE_LAG_KEY,
                [clean(lag)] if lag else [],
                now.timestamp(),
                "the open month's bronze has caught up with the clock",
            )
            event = context.instance.get_latest_materialization_event(dg.AssetKey(GOLD_ASSET))
            stale = state_causes.gold_stale_cause(
                GOLD_ASSET, event.timestamp if event else None, now.timestamp(), FRESH_FAIL
            )
            book.reconcile(
                state_causes.GOLD_STALE_KEY,
                [clean(stale)] if stale else [],
                now.timestamp(),
                f"{GOLD_ASSET} was materialized again",
            )

        return evaluate(context, bronze.settings, fold, channels)

    return _sensor


def _catch_up_runs(instance: dg.DagsterInstance) -> dict[str, list[dg.DagsterRun]]:
    """Finished runs launched by the catch-up sensor, by partition key, newest first."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            job_name=monthly_pipeline.name, tags={TRIGGER_TAG: CATCH_UP}, statuses=FINISHED
        ),
        limit=2000,
    )
    by_key: dict[str, list[dg.DagsterRun]] = {}
    for r in records:
        if PARTITION_TAG in r.dagster_run.tags:
            by_key.setdefault(r.dagster_run.tags[PARTITION_TAG], []).append(r.dagster_run)
    return by_key


def build_coverage_alerts_sensor(
    *, channels: Channels = configured, clock: Clock = _utc_now, interval_s: int = 600
) -> dg.SensorDefinition:
    @dg.sensor(
        name="coverage_alerts_sensor",
        minimum_interval_seconds=interval_s,
        default_status=RUNNING,
        description="Alerts when a month's bronze coverage stays below SEC_MIN_MONTH_COVERAGE "
        "after incomplete_months_sensor's catch-up runs (SEC_ALERT_COVERAGE_AFTER_RUNS).",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, bronze: BronzeResource, warehouse: WarehouseResource
    ) -> dg.SensorResult:
        def fold(book: AlertBook, clean: Callable[[Cause], Cause]) -> None:
            now, settings = clock(), bronze.settings
            # The threshold of the check that keeps a month out of gold (silver's, not bronze's).
            threshold = warehouse.settings.min_month_coverage
            enough = load_alert_settings().coverage_after_runs
            runs = _catch_up_runs(context.instance)
            keys = {k for k, v in runs.items() if len(v) >= enough}
            prefix = state_causes.COVERAGE_PREFIX
            keys |= {
                Month.parse(k.removeprefix(prefix)).key for k in book.open if k.startswith(prefix)
            }
            active = []
            for key in sorted(keys):
                month, tried = Month.parse(key), runs.get(key, [])
                cov = month_coverage(
                    month,
                    settings.bronze_root,
                    now=now,
                    hours_per_day=settings.hours_per_day,
                )
                last = f"run {tried[0].run_id[:8]}, {tried[0].status.value}" if tried else "none"
                cause = state_causes.coverage_cause(
                    month.label,
                    cov.expected_hours,
                    cov.missing_hours,
                    len(tried),
                    last,
                    threshold,
                    now.timestamp(),
                )
                if cause:
                    active.append(clean(cause))
            book.reconcile(
                prefix,
                active,
                now.timestamp(),
                f"the month's bronze coverage is back at or above {threshold:.0%}",
            )

        return evaluate(context, bronze.settings, fold, channels)

    return _sensor


run_alerts_sensor = build_run_alerts_sensor()
breaker_alerts_sensor = build_breaker_alerts_sensor()
freshness_alerts_sensor = build_freshness_alerts_sensor()
coverage_alerts_sensor = build_coverage_alerts_sensor()

alert_sensors = [
    run_alerts_sensor,
    breaker_alerts_sensor,
    freshness_alerts_sensor,
    coverage_alerts_sensor,
]

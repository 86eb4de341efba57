"""The sensor of months whose bronze is incomplete: what no automation condition can see.

``incomplete_months_sensor`` scans the bronze folders (directory listings only, see
``coverage.py``) for months with hours or customer counts missing, and launches
``monthly_pipeline`` for them, newest first, within two caps: launches per evaluation and runs
of the job in flight. It reads bronze and the breaker through the code location's resources
(``bronze``, ``sec_client``, both on the storage's ``data_dir``). It launches nothing while the
SEC client's circuit breaker (in the client state store, ``sec_client/state/``) is OPEN, and
only one probe run while it is HALF_OPEN.
Its run key is ``<month>:<gaps>`` (``:retryN`` once ``relaunch_after`` has passed with the gaps
unchanged), and the cursor remembers each launch, so the same work is never launched twice:
a run that fills some hours changes the key; a run that fills none waits ``relaunch_after``.
Every evaluation that launches nothing says why (``SkipReason``). Gold following a new month
needs no sensor: it is an ``AutomationCondition`` on the gold assets (``gold/assets.py``).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import dagster as dg

from sec_assets.automation.coverage import Launch, MonthCoverage, ScanCursor, scan
from sec_assets.automation.jobs import monthly_pipeline
from sec_assets.automation.runs import (
    TRIGGER_TAG,
    partitions_in_flight,
)
from sec_assets.bronze.resources import BronzeResource
from sec_assets.month import format_local, scan_window
from sec_assets.sec_client.breaker import RESET_MAKE, RESET_VERB, BreakerState
from sec_assets.sec_client.resource import SecClientResource


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _listing(months: list[MonthCoverage], limit: int = 6) -> str:
    shown = ", ".join(m.describe() for m in months[:limit])
    return shown + (f" and {len(months) - limit} more" if len(months) > limit else "")


def _breaker_open_reason(snapshot: dict[str, object], cooldown_s: float) -> str:
    opened = snapshot.get("opened_at")
    until = "the cooldown ends"
    if isinstance(opened, int | float):
        until = format_local(opened + cooldown_s)
    return (
        f"SEC circuit breaker is OPEN until {until} after "
        f"{snapshot.get('consecutive_failures')} consecutive failures "
        f"(last error: {snapshot.get('last_error') or 'unknown'}); no month launched. "
        f"If the cause is fixed, reset it: `{RESET_VERB}` or `{RESET_MAKE}`"
    )


def build_incomplete_months_sensor(
    *,
    name: str = "incomplete_months_sensor",
    horizon_months: int | None = None,
    max_launches_per_tick: int = 2,
    max_in_flight: int = 2,
    grace: timedelta = timedelta(hours=2),
    relaunch_after: timedelta = timedelta(hours=6),
    rescan_every: timedelta = timedelta(hours=24),
    minimum_interval_seconds: int = 300,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    clock: Callable[[], datetime] = _utc_now,
) -> dg.SensorDefinition:
    """The sensor, configured. ``horizon_months``: how many months back to scan, the open month
    included (None: every month since 2017-01). ``grace``: how old an hour must be before its
    absence counts (the hourly schedule fetches the newest ones). ``rescan_every``: how often
    months already known complete are listed again. ``clock`` is for tests."""

    @dg.sensor(
        name=name,
        job=monthly_pipeline,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Launches monthly_pipeline for months whose bronze coverage is incomplete "
        f"(≤{max_launches_per_tick} per evaluation, ≤{max_in_flight} in flight; none while the "
        "SEC circuit breaker is open).",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, bronze: BronzeResource, sec_client: SecClientResource
    ) -> dg.SensorResult:
        now = clock()
        cursor = ScanCursor.parse(context.cursor)
        cursor.evaluated_at = now.timestamp()

        def skip(reason: str) -> dg.SensorResult:
            cursor.last_outcome = f"skip: {reason}"[:300]
            return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=cursor.dumps())

        settings = bronze.settings  # data_dir from the storage resource nested in both
        breaker = sec_client.breaker()
        snapshot = breaker.snapshot()
        state = BreakerState(str(snapshot["state"]))
        if state is BreakerState.OPEN:
            return skip(_breaker_open_reason(snapshot, breaker.cooldown_s))
        probe = snapshot.get("probe_started_at")
        if (
            state is BreakerState.HALF_OPEN
            and isinstance(probe, int | float)
            and breaker.clock() - probe < breaker.probe_timeout_s
        ):
            return skip(
                "SEC circuit breaker is HALF_OPEN with a probe request in flight since "
                f"{format_local(probe)}; waiting for its outcome"
            )

        months = scan_window(now, horizon_months)
        incomplete, listed = scan(
            months,
            settings.bronze_root,
            cursor,
            now=now,
            hours_per_day=settings.hours_per_day,
            grace=grace,
            rescan_every=rescan_every,
        )
        gaps = {c.month for c in incomplete}
        cursor.launched = {m: v for m, v in cursor.launched.items() if m in gaps}
        if not incomplete:
            return skip(
                f"nothing incomplete: all {len(months)} months since {months[0]} are "
                f"covered ({listed} listed, {len(months) - listed} known complete)"
            )

        busy = partitions_in_flight(context.instance, monthly_pipeline.name)
        in_flight, waiting, candidates = [], [], []
        for cov in incomplete:
            prev = cursor.launched.get(cov.month)
            if busy[cov.partition_key]:
                in_flight.append(cov)
            elif prev is None or prev.missing != cov.missing:
                candidates.append((cov, Launch(cov.missing, now.timestamp())))
            elif now.timestamp() - prev.at >= relaunch_after.total_seconds():
                candidates.append((cov, Launch(cov.missing, now.timestamp(), prev.tries + 1)))
            else:
                waiting.append(cov)

        if not candidates:
            parts = [f"{len(incomplete)} incomplete months, none to launch"]
            if in_flight:
                parts.append(f"in flight: {_listing(in_flight)}")
            if waiting:
                since = f"launched with the same gaps less than {relaunch_after} ago"
                parts.append(f"{since}: {_listing(waiting)}")
            return skip("; ".join(parts))

        running = sum(busy.values())
        slots = min(max_launches_per_tick, max_in_flight - running)
        if state is BreakerState.HALF_OPEN:
            slots = min(slots, 1)  # one probe run; the rest waits for the circuit to close
        if slots <= 0:
            return skip(
                f"cap reached: {running} monthly_pipeline runs in flight (max {max_in_flight}); "
                f"{len(candidates)} months wait: {_listing([c for c, _ in candidates])}"
            )

        requests = []
        for cov, launch in candidates[:slots]:
            cursor.launched[cov.month] = launch
            requests.append(
                dg.RunRequest(
                    partition_key=cov.partition_key,
                    run_key=launch.run_key(cov.month),
                    tags={
                        TRIGGER_TAG: name,
                        "sec_assets/missing_hours": str(cov.missing_hours),
                        "sec_assets/missing_customers": str(cov.missing_customers),
                    },
                )
            )
        left = len(candidates) - len(requests)
        if left:
            context.log.info(f"cap reached: {left} incomplete months wait for the next evaluation")
        if state is BreakerState.HALF_OPEN:
            context.log.info("SEC circuit breaker is HALF_OPEN: launching one probe month only")
        cursor.last_outcome = f"launched {', '.join(r.run_key or '' for r in requests)}"
        return dg.SensorResult(run_requests=requests, cursor=cursor.dumps())

    return _sensor


incomplete_months_sensor = build_incomplete_months_sensor()


sensors = [incomplete_months_sensor]

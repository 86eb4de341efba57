"""Bronze assets: everything the SEC service said, stored losslessly, month by month."""

import asyncio
import logging
from collections.abc import Iterator
from functools import partial

import dagster as dg

from sec_assets.bronze.collect import CollectReport, MonthPlan, collect_month, plan_month, utc_now
from sec_assets.bronze.customers import collect_customers
from sec_assets.bronze.month_lock import month_lock
from sec_assets.bronze.month_totals import month_totals
from sec_assets.bronze.packs import after_month_write
from sec_assets.bronze.resources import BronzeResource
from sec_assets.bronze.store import hours_due
from sec_assets.masterdata import regions
from sec_assets.metadata_table import rows_table
from sec_assets.month import Month
from sec_assets.month_runs import MonthMetadata, StopMonths, month_by_month
from sec_assets.partitions import BACKFILL_POLICY, monthly_partitions
from sec_assets.readable import readable_bytes
from sec_assets.resource_settings import settings_metadata
from sec_assets.sec_client.errors import SecConfigError
from sec_assets.sec_client.resource import SecClientResource


async def _collect(
    plan: MonthPlan, sec_client: SecClientResource, bronze: BronzeResource, log: logging.Logger
) -> CollectReport:
    async with sec_client.open(logger=log) as client:
        return await collect_month(plan, client, bronze.store("sec_snapshots"))


#: The figures of each month shown in a ranged run's table of months.
SNAPSHOT_COLUMNS = ("dagster/row_count", "hours_expected", "hours_covered", "hours_requested")
CUSTOMERS_COLUMNS = ("regions_answered", "customers_national")


def _failures_table(failed: dict[str, str], limit: int = 10) -> dg.TableMetadataValue:
    """The first ``limit`` failed hours and their errors (``hours_failed`` counts them all)."""
    rows = [{"hour": k, "error": v[:140]} for k, v in list(failed.items())[:limit]]
    return rows_table(rows, {"hour": "string", "error": "string"})


def _breaker_line(sec_client: SecClientResource) -> str:
    """The breaker's state; when it refuses requests, until when and how to reset it."""
    breaker = sec_client.breaker()
    state = breaker.state
    return f"breaker {state}" if state == "closed" else f"breaker {state}: {breaker.describe()}"


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="bronze",
    kinds={"python", "json"},
    description="Every GetPorFecha answer of the month, one request per local hour, append-only.",
)
def sec_snapshots(
    context: dg.AssetExecutionContext, sec_client: SecClientResource, bronze: BronzeResource
) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
    """Grain: one stored exchange per request attempt, keyed by local hour (``YYYY-MM-DDTHH``).

    Idempotent and resumable: hours that already have a valid answer are not asked again,
    except recently closed hours of the open month (the service revises them), which get a new
    version. Failed attempts are stored too. The month fails, listing its missing hours, when
    fewer than ``min_month_coverage`` of its hours have a valid answer. A ranged run (a
    backfill) collects its months one after the other, each under its own lock, with the same
    politeness (``sec_assets/month_runs.py``).
    """
    work = partial(_snapshot_month, context, sec_client, bronze)
    yield from month_by_month(context, work, columns=SNAPSHOT_COLUMNS)


def _snapshot_month(
    context: dg.AssetExecutionContext,
    sec_client: SecClientResource,
    bronze: BronzeResource,
    month: Month,
) -> MonthMetadata:
    """One month of ``sec_snapshots``: its metadata, or a ``dg.Failure`` naming the month."""
    s = bronze.settings
    store = bronze.store("sec_snapshots")
    with month_lock(sec_client.state(), "sec_snapshots", month.label, log=context.log):
        orphans = store.remove_orphans(month.label)  # temporary files of a killed run
        plan = plan_month(
            month,
            store,
            now=utc_now(),
            hours_per_day=s.hours_per_day,
            revision_lookback_hours=s.revision_lookback_hours,
            revision_min_age_s=s.revision_min_age_s,
        )
        context.log.info(
            f"{plan.month}: {len(plan.expected)} hours due, {len(plan.missing)} missing, "
            f"{len(plan.revisions)} to re-fetch for revisions"
            + (f"; removed {orphans} orphan temporary files" if orphans else "")
        )
        try:
            report = asyncio.run(_collect(plan, sec_client, bronze, context.log))
        except SecConfigError as exc:  # ours: one message, nothing counted against the service
            raise StopMonths(description=str(exc)) from None
        after_month_write(store, plan.month, context.log)

    after = hours_due(store, month, now=plan.as_of, hours_per_day=s.hours_per_day)
    missing = [h.key for h in after.missing]
    coverage = 1 - len(missing) / len(plan.expected) if plan.expected else 1.0
    breaker = sec_client.breaker().snapshot()
    held = month_totals(store, plan.month)  # the month's newest valid answers, not this run's
    metadata: dict[str, dg.RawMetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(held.rows),
        "hours_in_month": dg.MetadataValue.int(plan.month_hours),
        "hours_expected": dg.MetadataValue.int(len(plan.expected)),
        "hours_covered": dg.MetadataValue.int(len(plan.expected) - len(missing)),
        "coverage": dg.MetadataValue.float(round(coverage, 4)),
        "hours_requested": dg.MetadataValue.int(report.requested),
        "hours_fetched": dg.MetadataValue.int(len(report.keys_with("ok", "empty"))),
        "hours_empty": dg.MetadataValue.int(len(report.keys_with("empty"))),
        "hours_failed": dg.MetadataValue.int(len(report.failed)),
        # Hours without a valid answer by their final outcome (schema_error, wrong_date, …).
        "failed_by_outcome": dg.MetadataValue.json(report.failed_outcomes),
        "revisions_requested": dg.MetadataValue.int(len(plan.revisions)),
        "attempts": dg.MetadataValue.int(report.attempts),
        "rows": dg.MetadataValue.int(held.rows),
        "customers": dg.MetadataValue.int(held.customers),
        "rows_fetched_this_run": dg.MetadataValue.int(report.rows),
        "customers_fetched_this_run": dg.MetadataValue.int(report.customers),
        "bytes_written": dg.MetadataValue.int(report.bytes_written),
        "orphans_removed": dg.MetadataValue.int(orphans),
        "bytes_on_disk": dg.MetadataValue.int(store.bytes_on_disk(plan.month)),
        "duration_s": dg.MetadataValue.float(round(report.duration_s, 3)),
        "requests_per_second": dg.MetadataValue.float(
            round(report.attempts / report.duration_s, 2) if report.duration_s else 0.0
        ),
        "server_time": dg.MetadataValue.text(report.server_time or "unavailable"),
        "breaker_state": dg.MetadataValue.text(str(breaker["state"])),
        "missing_hours": dg.MetadataValue.json(missing),
        "path": dg.MetadataValue.path(store.month_url(plan.month)),
        # Readable twins of the figures above (the numbers stay for the UI's plots).
        "coverage_percent": dg.MetadataValue.float(round(100 * coverage, 2)),
        "size_on_disk": dg.MetadataValue.text(readable_bytes(store.bytes_on_disk(plan.month))),
    }
    metadata.update(settings_metadata(sec_client, bronze))  # the settings in force, sourced
    if report.failed:
        metadata["failures"] = _failures_table(report.failed)
    if coverage < s.min_month_coverage:
        raise dg.Failure(
            description=(
                f"{plan.month}: only {coverage:.1%} of {len(plan.expected)} hours have a valid "
                f"answer (minimum {s.min_month_coverage:.0%}); {_breaker_line(sec_client)}; "
                f"missing: {', '.join(missing[:24])}{' …' if len(missing) > 24 else ''}. "
                "Everything fetched is stored; the next run fetches only the missing hours."
            ),
            metadata=metadata,
        )
    return metadata


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="bronze",
    kinds={"python", "json"},
    description="Customers per region (GetClientesRegional ×16) and nationally: the denominators.",
)
def sec_customers(
    context: dg.AssetExecutionContext, sec_client: SecClientResource, bronze: BronzeResource
) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
    """Grain: one stored exchange per request attempt, keyed ``region_NN`` or ``national``.

    The service answers today's counts, not the month's: each answer keeps its fetch time.
    A region is asked by its short name first and, if the service does not know it, by its long
    official name. A ranged run asks for each of its months in turn.
    """
    work = partial(_customers_month, context, sec_client, bronze)
    yield from month_by_month(context, work, columns=CUSTOMERS_COLUMNS)


def _customers_month(
    context: dg.AssetExecutionContext,
    sec_client: SecClientResource,
    bronze: BronzeResource,
    partition: Month,
) -> MonthMetadata:
    """One month of ``sec_customers``: its metadata, or a ``dg.Failure`` naming the month."""
    month = partition.label
    store = bronze.store("sec_customers")

    async def run():
        async with sec_client.open(logger=context.log) as client:
            result = await collect_customers(month, regions(), client, store)
            if client.config_error is not None:
                raise client.config_error
            return result

    try:
        result = asyncio.run(run())
    except SecConfigError as exc:  # ours: one message, nothing counted against the service
        raise StopMonths(description=str(exc)) from None
    after_month_write(store, month, context.log)
    metadata: dict[str, dg.RawMetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(len(result.by_region)),
        "regions_answered": dg.MetadataValue.int(len(result.by_region)),
        "regions_failed": dg.MetadataValue.json(result.failed),
        "customers_regional_sum": dg.MetadataValue.int(sum(result.by_region.values())),
        "customers_national": dg.MetadataValue.int(result.national or 0),
        "by_region": dg.MetadataValue.json({str(k): v for k, v in result.by_region.items()}),
        "path": dg.MetadataValue.path(store.month_url(month)),
        **settings_metadata(sec_client, bronze),  # the settings in force, sourced
    }
    if result.failed or result.national is None:
        raise dg.Failure(
            description=f"{month}: customers missing for {result.failed or ['national']}; "
            "every answer received is stored.",
            metadata=metadata,
        )
    return metadata

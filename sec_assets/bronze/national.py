"""``sec_national_series``: the service's own national hourly series (``Get``), kept in bronze.

``Get`` answers about the last 7 days, so only a month with hours in that window is asked
(the open month, and the previous one during its first week); older partitions record that
the series cannot cover them and send nothing. Every attempt is stored like any answer, under
``bronze/sec_national/month=YYYY-MM/get/``; an answer of an unknown shape is ``schema_error``,
stored, and fails the asset (nothing downstream trusts it).
"""

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

import dagster as dg

from sec_assets.bronze.collect import utc_now
from sec_assets.bronze.packs import after_month_write
from sec_assets.bronze.resources import BronzeResource
from sec_assets.month import Month
from sec_assets.month_runs import MonthMetadata, month_by_month
from sec_assets.partitions import BACKFILL_POLICY, monthly_partitions
from sec_assets.resource_settings import settings_metadata
from sec_assets.sec_client.exchange import FetchResult
from sec_assets.sec_client.national import ENDPOINT, validate_national_series
from sec_assets.sec_client.resource import SecClientResource

DATASET = "sec_national"
KEY = "get"
SERIES_REACH = timedelta(days=8)  # Get covers ~7 days; a day of margin


def series_can_cover(month_end: datetime, now: datetime) -> bool:
    """A month whose end is older than the series' reach has no hour in ``Get``."""
    return month_end >= now - SERIES_REACH


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="bronze",
    kinds={"python", "json"},
    description="The service's national hourly series (Get, ~last 7 days), one stored "
    "exchange per attempt: the independent figure the hourly sums are checked against.",
)
def sec_national_series(
    context: dg.AssetExecutionContext, sec_client: SecClientResource, bronze: BronzeResource
) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
    """Grain: one stored exchange per ``Get`` attempt, key ``get``. A re-fetch adds a version.
    A ranged run takes its months in turn (only its last one or two can be asked)."""
    work = partial(_series_month, context, sec_client, bronze)
    yield from month_by_month(context, work, columns=("fetched", "hours_in_month"))


def _series_month(
    context: dg.AssetExecutionContext,
    sec_client: SecClientResource,
    bronze: BronzeResource,
    partition: Month,
) -> MonthMetadata:
    """One month of ``sec_national_series``: its metadata, or a ``dg.Failure``."""
    month = partition.label
    if not series_can_cover(partition.end_utc, utc_now()):
        return {
            "fetched": dg.MetadataValue.bool(False),
            "reason": dg.MetadataValue.text(
                f"{month} ended before Get's ~7-day window: nothing to ask"
            ),
            **settings_metadata(sec_client, bronze),
        }
    store = bronze.store(DATASET)

    async def fetch() -> FetchResult:
        async with sec_client.open(logger=context.log) as client:
            return await client.call(ENDPOINT, {}, key=KEY, validate=validate_national_series)

    result = asyncio.run(fetch())
    paths = [store.write(month, attempt) for attempt in result.attempts]
    after_month_write(store, month, context.log)
    points = result.value or []
    in_month = [p for p in points if p.hour_key.startswith(month)]
    metadata: dict[str, dg.RawMetadataValue] = {
        "fetched": dg.MetadataValue.bool(True),
        "outcome": dg.MetadataValue.text(result.attempts[-1].outcome if paths else "not_sent"),
        "attempts": dg.MetadataValue.int(len(paths)),
        "hours_in_series": dg.MetadataValue.int(len(points)),
        "hours_in_month": dg.MetadataValue.int(len(in_month)),
        "newest_hour": dg.MetadataValue.text(points[-1].hour_key if points else "none"),
        "path": dg.MetadataValue.path(store.month_url(month)),
        **settings_metadata(sec_client, bronze),  # the settings in force, sourced
    }
    if result.error is not None:
        raise dg.Failure(
            description=f"Get: {result.error} (every attempt is stored in bronze)",
            metadata=metadata,
        )
    return metadata

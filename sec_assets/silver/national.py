"""``national_hourly``: national customers without power per hour from two sources, and the
check that they agree.

- ``getporfecha_sum``: the customers of the hour's GetPorFecha rows, from ``snapshot_ledger``
  (hours ``ok``, ``empty`` or ``degraded``; failed hours have no figure, never zero);
- ``get``: the service's own national series (``sec_national_series``), the newest stored
  answer listing the hour. ``Get`` answers fetched early in the next month still list this
  month's last days, so the next month's bronze is read too.

When the two disagree beyond a tolerance, one of them is degraded: the check warns with the
hours and both figures (not blocking: neither source is known to be the right one). With no
hour both sources cover, it warns that nothing was compared.
"""

import warnings
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import dagster as dg

from sec_assets.bronze.national import DATASET
from sec_assets.bronze.resources import BronzeResource
from sec_assets.bronze.store import BronzeStore, body_bytes
from sec_assets.month import Month
from sec_assets.month_runs import MonthMetadata, month_by_month
from sec_assets.partitions import BACKFILL_POLICY, monthly_partitions
from sec_assets.sec_client.errors import SecError
from sec_assets.sec_client.national import validate_national_series
from sec_assets.silver.check_events import range_check_events
from sec_assets.silver.needs import Need, guarded
from sec_assets.silver.writes import writes
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets.warehouse.resource import WarehouseResource

if TYPE_CHECKING:
    import polars as pl

REL_TOLERANCE = 0.05  # of the larger figure …
ABS_TOLERANCE = 500  # … or this many customers, whichever is larger


def schema() -> "dict[str, pl.DataType]":
    """The columns of ``silver.national_hourly`` and their dtypes."""
    import polars as pl

    return {
        "hour_key": pl.Utf8(),
        "month": pl.Utf8(),
        "source": pl.Utf8(),
        "customers": pl.Int64(),
        "fetched_at": pl.Datetime("us", "UTC"),
    }


def get_figures(store: BronzeStore, month: Month) -> "pl.DataFrame":
    """Per hour of ``month``, ``Get``'s figure from the newest valid answer that lists it."""
    import polars as pl

    newest: dict[str, tuple[int, object]] = {}
    for m in (month, month.next()):
        with store.readable_month(m.label) as readable:
            for f in readable.files(m.label):  # chronological within the key
                if not f.good:
                    continue
                try:
                    points = validate_national_series(body_bytes(readable.envelope_of(f)) or b"")
                except SecError:
                    continue  # stored as ok by an older validator; not trusted now
                for p in points:
                    if p.hour_key.startswith(month.label):
                        newest[p.hour_key] = (p.clientes, f.fetched_at)
    return pl.DataFrame(
        {
            "hour_key": list(newest),
            "month": [month.label] * len(newest),
            "source": ["get"] * len(newest),
            "customers": [v[0] for v in newest.values()],
            "fetched_at": [v[1] for v in newest.values()],
        },
        schema=schema(),
    )


def hourly_sums(ledger: "pl.DataFrame", month: Month) -> "pl.DataFrame":
    """The sum of GetPorFecha's rows per usable hour of the ledger."""
    import polars as pl

    usable = ledger.filter(pl.col("status").is_in(["ok", "empty", "degraded"]))
    return usable.select(
        "hour_key",
        pl.lit(month.label).alias("month"),
        pl.lit("getporfecha_sum").alias("source"),
        pl.col("customers").cast(pl.Int64),
        pl.col("fetched_at").cast(pl.Datetime("us", "UTC")),
    )


CHECK_NAME = "national_series_agrees_with_hourly_sums"


def _check_spec() -> dg.AssetCheckSpec:
    """Evaluated in the asset's own step (no step, no process of its own). Partitioned check
    specs are a preview in Dagster 1.13, used knowingly; the warning is silenced here only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            CHECK_NAME,
            asset="national_hourly",
            description="For every hour both sources cover, the sum of GetPorFecha's rows is "
            "within the tolerance of Get's national figure; beyond it one of the two is "
            "degraded (WARN).",
            blocking=False,
            partitions_def=monthly_partitions,
        )


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="silver",
    kinds={"polars", "sql"},
    deps=["snapshot_ledger", "sec_national_series"],
    metadata=writes("national_hourly"),
    check_specs=[_check_spec()],
    description="National customers without power per hour, per source: the sum of "
    "GetPorFecha's rows and the service's own national series (Get).",
)
def national_hourly(
    context: dg.AssetExecutionContext, bronze: BronzeResource, warehouse: WarehouseResource
) -> Iterator[object]:
    """Grain: one row per (hour, source). Replaces the month's rows in one transaction. A
    ranged run replaces its months in turn, then reports the check per month."""
    wh = warehouse.get_warehouse(writes=True)
    months = Month.range_of(context)
    if len(months) == 1:
        yield dg.MaterializeResult(
            metadata=_month_rows(wh, bronze, months[0]),
            check_results=[compare(wh, months[0].label)],
        )
        return
    yield from month_by_month(context, partial(_month_rows, wh, bronze))
    yield from range_check_events(context, "national_hourly", lambda m: [compare(wh, m)])


def replace_month(wh: Warehouse, store: BronzeStore, month: Month) -> "pl.DataFrame":
    """The month's rows of both sources (the ledger's hourly sums, the national series'
    figures), replaced in one transaction; the rows written."""
    import polars as pl

    ledger = wh.read(
        "SELECT hour_key, status, customers, fetched_at FROM silver.snapshot_ledger "
        "WHERE month = :month",
        {"month": month.label},
    )
    frame = pl.concat([hourly_sums(ledger, month), get_figures(store, month)])
    wh.replace_many([ReplaceStep("national_hourly", frame, where={"month": month.label})])
    return frame


def _month_rows(wh: Warehouse, bronze: BronzeResource, month: Month) -> MonthMetadata:
    """The month's rows of both sources, replaced; the asset's metadata for the month."""
    frame = replace_month(wh, bronze.store(DATASET), month)
    counts = dict(frame.group_by("source").len().iter_rows())
    return {
        "dagster/row_count": dg.MetadataValue.int(frame.height),
        "hours_getporfecha_sum": dg.MetadataValue.int(counts.get("getporfecha_sum", 0)),
        "hours_get": dg.MetadataValue.int(counts.get("get", 0)),
    }


DISAGREEING_SQL = """
SELECT s.hour_key, s.customers AS getporfecha_sum, g.customers AS get
FROM silver.national_hourly s
JOIN silver.national_hourly g ON g.hour_key = s.hour_key AND g.source = 'get'
WHERE s.source = 'getporfecha_sum' AND s.month = :month
  AND ABS(s.customers - g.customers)
      > GREATEST(:abs_tol, :rel_tol * GREATEST(s.customers, g.customers))
ORDER BY s.hour_key
"""
#: What the check examines: the month's hours both sources cover.
NEED = Need(
    "hours of the month both sources cover (silver.national_hourly, getporfecha_sum and get)",
    """SELECT s.hour_key FROM silver.national_hourly s
       JOIN silver.national_hourly g ON g.hour_key = s.hour_key AND g.source = 'get'
       WHERE s.source = 'getporfecha_sum' AND s.month = :month""",
)


def compare(wh, month: str) -> dg.AssetCheckResult:
    """Warns with the hours that disagree; with no hour both sources cover, warns that
    nothing could be compared (``silver/needs.py``)."""
    return guarded(
        CHECK_NAME,
        "national_hourly",
        NEED,
        dg.AssetCheckSeverity.WARN,
        wh,
        month,
        {},
        lambda compared: _compared(wh, month, compared),
    )


def _compared(wh, month: str, compared: int) -> dg.AssetCheckResult:
    params = {"month": month, "abs_tol": ABS_TOLERANCE, "rel_tol": REL_TOLERANCE}
    bad = wh.read(DISAGREEING_SQL, params)
    rows = [
        {"hour": h, "getporfecha_sum": int(a), "get": int(b)}
        for h, a, b in bad.head(100).iter_rows()
    ]
    tolerance = f"max({ABS_TOLERANCE} customers, {REL_TOLERANCE:.0%})"
    return dg.AssetCheckResult(
        check_name=CHECK_NAME,
        passed=bad.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{month}: {bad.height} of {compared} hours disagree beyond {tolerance}"
            if bad.height
            else f"{month}: {compared} hours compared, all within {tolerance}"
        ),
        metadata={
            "hours_compared": dg.MetadataValue.int(compared),
            "hours_disagreeing": dg.MetadataValue.int(bad.height),
            "disagreeing_hours": dg.MetadataValue.json(rows),
            "tolerance": dg.MetadataValue.text(tolerance),
        },
    )

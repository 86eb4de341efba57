"""Silver assets: the star schema, loaded month by month into DuckDB or Postgres.

Assets are thin: the transform lives in pure modules (``transform``, ``events``, ``dims``);
here resources, partitions and metadata are wired around it. Each monthly load replaces
exactly its month in one transaction, by bulk load, then evaluates the month's checks on what it
stored, in the same step (``silver/checks.py``).
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import dagster as dg

from sec_assets.bronze.resources import BronzeResource
from sec_assets.metadata_table import frame_table
from sec_assets.month import Month
from sec_assets.partitions import BACKFILL_POLICY, monthly_partitions
from sec_assets.readable import readable
from sec_assets.resource_settings import settings_metadata
from sec_assets.silver import dims
from sec_assets.silver.checks import check_results, check_specs
from sec_assets.silver.checks_alone import alone, checks_alone, reported
from sec_assets.silver.figures import month_picture_metadata
from sec_assets.silver.load import (
    EVENTS_LOCK,
    EVENTS_LOCK_TIMEOUT_S,
    load_answers,
    load_dimension,
    load_region_customers,
    read_answers,
    rebuild_events,
)
from sec_assets.silver.metadata import (
    cadence_metadata,
    facts_metadata,
    ledger_metadata,
    table_metadata,
    with_names,
)
from sec_assets.silver.partial_range import partial_range
from sec_assets.silver.partition_range import logged, range_checks
from sec_assets.silver.ranged import load_observations_range, range_bounds
from sec_assets.silver.writes import writes
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource

if TYPE_CHECKING:
    import polars as pl

KINDS = {"polars", "sql"}
# The inputs of the month's observations. Both assets of ``silver_observations`` are written by
# one transaction, so they declare the same parents: a backfill then targets both alike (with
# different parents, Dagster 1.13 refuses a range backfill of the pair: "Targeted subset must
# match ... between fact_interrupciones and snapshot_ledger").
OBSERVATION_DEPS = [
    "sec_snapshots",
    "region_customers",
    "dim_geografia",
    "dim_empresa",
    "dim_tiempo",
]


def _dimension(name: str, doc: str):
    @dg.asset(name=name, group_name="silver", kinds=KINDS, description=doc, metadata=writes(name))
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        frame, result = load_dimension(warehouse.get_warehouse(writes=True), name)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(frame.height),
                "inserted": dg.MetadataValue.int(result.inserted),
                "updated": dg.MetadataValue.int(result.updated),
                "seed_version": dg.MetadataValue.text(dims.SEED_VERSION),
                "preview": frame_table(frame),
                **table_metadata(warehouse.get_warehouse(writes=True), name),
            }
        )

    return _asset


dim_geografia = _dimension(
    "dim_geografia",
    "Official regions and comunas (CUT codes), one row per comuna, plus UNKNOWN members.",
)
dim_empresa = _dimension(
    "dim_empresa",
    "Distribution companies, plus 'unknown' and 'no_informada' (era without companies).",
)
dim_tiempo = _dimension(
    "dim_tiempo",
    "One row per calendar date from the history's first day (2017-01-01) through the end of "
    "the year five years after the current one, id YYYYMMDD, plus UNKNOWN (0).",
)


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="silver",
    kinds=KINDS,
    deps=["sec_customers"],
    metadata=writes("region_customers"),
    description="Customers per region for the month: the denominators.",
)
def region_customers(
    context: dg.AssetExecutionContext, bronze: BronzeResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Grain: one row per region and month. Regions the service did not answer take the
    seed's estimate (``source = 'seed'``), counted in metadata. A ranged run loads each month
    of its range on one connection."""
    wh, store = warehouse.get_warehouse(writes=True), bronze.store("sec_customers")
    frame = load_region_customers(wh, store, Month.range_of(context))
    return dg.MaterializeResult(
        metadata={
            **table_metadata(wh, "region_customers"),
            "dagster/row_count": dg.MetadataValue.int(frame.height),
            "from_sec": dg.MetadataValue.int(int((frame["source"] == "sec").sum())),
            "from_seed": dg.MetadataValue.int(int((frame["source"] == "seed").sum())),
            "customers": dg.MetadataValue.int(int(frame["customers"].sum())),
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "snapshot_ledger",
            deps=OBSERVATION_DEPS,
            description="One row per local hour of the month: ok, empty, degraded, failed, "
            "schema_error, wrong_date or missing. What tells 'zero' from 'no data'.",
            # written in the transaction of the month's ledger (load.observation_steps)
            metadata=writes(
                "snapshot_ledger",
                "guardrail_counts",
                "quarantine",
                "comuna_daily_customers",
                "customer_caps",
                "month_cadence",
            ),
            group_name="silver",
            kinds=KINDS,
        ),
        dg.AssetSpec(
            "fact_interrupciones",
            deps=OBSERVATION_DEPS,
            description="Observation grain: one row per (hour, comuna, company, outage start "
            "when the era gives one), fragments summed, hash_id = md5 of that key.",
            metadata=writes("fact_interrupciones"),
            group_name="silver",
            kinds=KINDS,
        ),
    ],
    check_specs=check_specs("snapshot_ledger", "fact_interrupciones"),
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    can_subset=True,  # its checks run alone on stored months (silver/checks_alone.py)
)
def silver_observations(
    context: dg.AssetExecutionContext,
    bronze: BronzeResource,
    warehouse: WarehouseResource,
):
    """Parse the newest valid answer of every hour (earlier versions stay in bronze), resolve
    names, apply and count the guardrails, build the ledger; replace the month's ledger, facts,
    guardrail counts and quarantine in one transaction. Then check what was stored.

    A ranged run (a backfill, up to 12 months) loads its months on one connection, parsing
    overlapped with writing, a transaction per month, and reports every check per month.
    A run of its checks alone evaluates them on the stored months (``checks_alone``)."""
    if alone(context):
        yield from checks_alone(context, warehouse)
        return
    yield from reported(context, _observations(context, bronze, warehouse))


def _observations(
    context: dg.AssetExecutionContext, bronze: BronzeResource, warehouse: WarehouseResource
) -> Iterator[object]:
    months = Month.range_of(context)
    if len(months) > 1:
        yield from _observations_range(context, bronze, warehouse, months)
        return
    month = months[0].label
    # Parsed before the warehouse is asked for: a run whose first step this is opens it
    # (read-write, for the schema check and the write) once the month is parsed.
    answers = read_answers(bronze.store("sec_snapshots"), months[0])
    wh = warehouse.get_warehouse(writes=True)
    coverage = warehouse.settings.min_month_coverage
    # The write, the checks, their verdicts and the metadata: one connection (a DuckDB open
    # costs more as the file grows).
    with wh.session():
        load = load_answers(wh, answers, months[0], hours_per_day=bronze.settings.hours_per_day)
        silver = load.silver
        if load.dimensions:
            context.log.info(f"wrote the dimensions the month references: {load.dimensions}")
        context.log.info(f"{month}: wrote {load.written}")
        ledger: dg.MaterializeResult = dg.MaterializeResult(
            asset_key="snapshot_ledger",
            metadata={
                "dimensions_written": dg.MetadataValue.json(load.dimensions),
                **ledger_metadata(silver.ledger),
                **cadence_metadata(silver.cadence),
                **table_metadata(wh, "snapshot_ledger"),
                **settings_metadata(bronze, warehouse),
            },
            check_results=logged(
                context, check_results("snapshot_ledger", wh, month, coverage), month
            ),
        )
        facts: dg.MaterializeResult = dg.MaterializeResult(
            asset_key="fact_interrupciones",
            metadata={
                **facts_metadata(silver, load.answers.rows.height, wh),
                **table_metadata(wh, "fact_interrupciones"),
            },
            check_results=logged(
                context, check_results("fact_interrupciones", wh, month, coverage), month
            ),
        )
    yield ledger
    yield facts


def _observations_range(
    context: dg.AssetExecutionContext,
    bronze: BronzeResource,
    warehouse: WarehouseResource,
    months: list[Month],
) -> Iterator[object]:
    """Every month of the range (:func:`load_observations_range`); a month that cannot be
    parsed or loaded fails alone: the others are committed, reported and checked month by
    month, their episodes built (:func:`partial_range`), and the run then fails naming the
    failed months and why (re-running the range reloads the others identically)."""
    wh = warehouse.get_warehouse(writes=True)
    store = bronze.store("sec_snapshots")
    load = load_observations_range(
        wh,
        store.location,
        months,
        hours_per_day=bronze.settings.hours_per_day,
    )
    if load.dimensions:
        context.log.info(f"wrote the dimensions the months reference: {load.dimensions}")
    for month, written in sorted(load.written.items()):
        context.log.info(f"{month}: wrote {written}")
    if load.failed:  # the others loaded, checked, their episodes built; then the run fails
        yield from partial_range(context, warehouse, months, load)
        load.raise_failures()
    silver = load.combined()
    yield dg.MaterializeResult(
        asset_key="snapshot_ledger",
        metadata={
            "dimensions_written": dg.MetadataValue.json(load.dimensions),
            **ledger_metadata(silver.ledger),
            **cadence_metadata(silver.cadence),
            **table_metadata(wh, "snapshot_ledger"),
            **settings_metadata(bronze, warehouse),
        },
    )
    yield dg.MaterializeResult(
        asset_key="fact_interrupciones",
        metadata={
            **facts_metadata(silver, load.raw_rows, wh),
            **table_metadata(wh, "fact_interrupciones"),
        },
    )
    yield from range_checks(context, ("snapshot_ledger", "fact_interrupciones"), warehouse)


# A multi-asset of one asset: unlike @dg.asset, it can run its checks alone (can_subset).
@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "fact_eventos",
            group_name="silver",
            kinds=KINDS,
            deps=["fact_interrupciones", "snapshot_ledger"],
            description="Outage episodes of a comuna (and company) across consecutive hours, "
            "with peak, customer-hours, bounds and censoring. One episode across month "
            "boundaries.",
            metadata=writes("fact_eventos"),
        )
    ],
    partitions_def=monthly_partitions,
    check_specs=check_specs("fact_eventos"),
    backfill_policy=BACKFILL_POLICY,
    can_subset=True,  # its checks run alone on stored months (silver/checks_alone.py)
)
def fact_eventos(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Grain: one row per episode. The month's load recomputes every episode that has an hour
    in the month from its observations and those of the days around it, and replaces them
    by id, together with any stored episode of the same comuna and company they overlap (a
    shorter version seen before the neighbouring month was loaded). An episode that crosses a
    month boundary is therefore one row, whichever month was loaded first. A ranged run
    rebuilds the episodes of its whole range at once and reports every check per month.
    A run of its checks alone evaluates them on the stored months (``checks_alone``)."""
    if alone(context):
        yield from checks_alone(context, warehouse)
        return
    months = Month.range_of(context)
    start, end = range_bounds(months)
    month = months[-1].label
    wh = warehouse.get_warehouse(writes=True)
    ranged = len(months) > 1
    # The rebuild, the checks, their verdicts and the metadata: one connection, under the
    # episodes lock (taken before the file, as load_events does).
    with wh.lock(EVENTS_LOCK, timeout_s=EVENTS_LOCK_TIMEOUT_S):
        events, replaced = rebuild_events(wh, start, end)
        checks = (
            None
            if ranged
            else logged(
                context,
                check_results("fact_eventos", wh, month, warehouse.settings.min_month_coverage),
                month,
            )
        )
        result = _episodes_result(wh, warehouse, months, events, replaced, checks)
    yield result
    if ranged:
        yield from range_checks(context, ("fact_eventos",), warehouse)


def _episodes_result(
    wh: Warehouse,
    warehouse: WarehouseResource,
    months: list[Month],
    events: "pl.DataFrame",
    replaced: int,
    checks: list[dg.AssetCheckResult] | None,
) -> dg.MaterializeResult:
    customer_hours = float(events["customer_hours"].sum())
    top = events.sort("peak_customers", descending=True).head(8)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(events.height),
            "episodes_starting_this_month": dg.MetadataValue.int(
                int(events["month"].is_in([m.label for m in months]).sum())
            ),
            "replaced": dg.MetadataValue.int(replaced),
            "customer_hours": dg.MetadataValue.float(round(customer_hours, 1)),
            "customer_hours_readable": dg.MetadataValue.text(readable(customer_hours)),
            "max_peak_customers": dg.MetadataValue.int(
                int(cast(int, events["peak_customers"].max()) or 0)
            ),
            "censored_start": dg.MetadataValue.int(int(events["censored_start"].sum())),
            "censored_end": dg.MetadataValue.int(int(events["censored_end"].sum())),
            "preview": frame_table(
                with_names(
                    top.select(
                        "geografia_id",
                        "empresa_id",
                        "first_hour",
                        "last_hour",
                        "peak_customers",
                        "customer_hours",
                    ),
                    wh,
                )
            ),
            # the (last) month's picture (silver/figures.py), also beside the golden Parquet
            **month_picture_metadata(wh, warehouse.settings, months[-1]),
            **table_metadata(wh, "fact_eventos"),
        },
        check_results=checks,
    )

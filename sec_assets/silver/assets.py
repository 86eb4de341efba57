"""Silver assets: the star schema, loaded month by month into DuckDB or Postgres.

Assets are thin: the transform lives in pure modules (``transform``, ``events``, ``dims``);
here resources, partitions and metadata are wired around it. Each monthly load replaces
exactly its month in one transaction, by bulk load.
"""

from datetime import date, datetime
from typing import Any, cast

import dagster as dg
import polars as pl

from sec_assets.bronze.resources import BronzeResource
from sec_assets.partitions import monthly_partitions
from sec_assets.silver import dims
from sec_assets.silver.load import (
    load_dimension,
    load_events,
    load_observations,
    load_region_customers,
)
from sec_assets.silver.partition_range import BACKFILL_POLICY, range_months
from sec_assets.silver.ranged import load_observations_range, month_key, range_bounds
from sec_assets.silver.transform import SilverMonth
from sec_assets.warehouse.resource import WarehouseResource

KINDS = {"polars", "sql"}


def _month_bounds(context: dg.AssetExecutionContext) -> tuple[str, date, datetime, datetime]:
    window = context.partition_time_window
    start = window.start.replace(tzinfo=None)
    end = window.end.replace(tzinfo=None)
    return start.strftime("%Y-%m"), start.date(), start, end


def _md_table(frame: pl.DataFrame, limit: int = 8) -> str:
    head = frame.head(limit)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in head.iter_rows()]
    return "\n".join(lines)


def _dimension(name: str, doc: str):
    @dg.asset(name=name, group_name="silver", kinds=KINDS, description=doc)
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        frame, result = load_dimension(warehouse.get_warehouse(), name)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(frame.height),
                "inserted": dg.MetadataValue.int(result.inserted),
                "updated": dg.MetadataValue.int(result.updated),
                "seed_version": dg.MetadataValue.text(dims.SEED_VERSION),
                "preview": dg.MetadataValue.md(_md_table(frame)),
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
    "One row per calendar date 2017–2030, id YYYYMMDD, plus UNKNOWN (0).",
)


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="silver",
    kinds=KINDS,
    deps=["sec_customers"],
    description="Customers per region for the month: the denominators.",
)
def region_customers(
    context: dg.AssetExecutionContext, bronze: BronzeResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Grain: one row per region and month. Regions the service did not answer take the
    seed's estimate (``source = 'seed'``), counted in metadata. A ranged run loads each month
    of its range on one connection."""
    wh, store = warehouse.get_warehouse(), bronze.store("sec_customers")
    with wh.session():
        frames = [load_region_customers(wh, store, month_key(m)) for m in range_months(context)]
    frame = pl.concat(frames)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(frame.height),
            "from_sec": dg.MetadataValue.int(int((frame["source"] == "sec").sum())),
            "from_seed": dg.MetadataValue.int(int((frame["source"] == "seed").sum())),
            "customers": dg.MetadataValue.int(int(frame["clientes"].sum())),
        }
    )


def _ledger_metadata(ledger: pl.DataFrame) -> dict[str, Any]:
    counts = dict(ledger.group_by("status").len().iter_rows())
    usable = sum(counts.get(s, 0) for s in ("ok", "empty", "degraded"))
    peak = ledger.sort("customers", descending=True).head(1)
    return {
        "peak_hour": dg.MetadataValue.text(peak["hour_key"].item() if peak.height else "none"),
        "peak_hour_customers": dg.MetadataValue.int(
            int(peak["customers"].item()) if peak.height else 0
        ),
        "dagster/row_count": dg.MetadataValue.int(ledger.height),
        "coverage": dg.MetadataValue.float(round(usable / max(ledger.height, 1), 4)),
        **{
            f"hours_{s}": dg.MetadataValue.int(counts.get(s, 0))
            for s in ("ok", "empty", "degraded", "failed", "schema_error", "missing")
        },
        "revisions_seen": dg.MetadataValue.int(int((ledger["versions"] - 1).clip(0).sum())),
        "not_ok_hours": dg.MetadataValue.json(
            ledger.filter(pl.col("status") != "ok").select("hour_key", "status").rows()[:100]
        ),
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "snapshot_ledger",
            deps=["sec_snapshots", "dim_tiempo"],
            description="One row per local hour of the month: ok, empty, degraded, failed, "
            "schema_error or missing. What tells 'zero' from 'no data'.",
            group_name="silver",
            kinds=KINDS,
        ),
        dg.AssetSpec(
            "fact_interrupciones",
            deps=[
                "sec_snapshots",
                "region_customers",
                "dim_geografia",
                "dim_empresa",
                "dim_tiempo",
            ],
            description="Observation grain: one row per (hour, comuna, company, outage start "
            "when the era gives one), fragments summed, hash_id = md5 of that key.",
            group_name="silver",
            kinds=KINDS,
        ),
    ],
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
)
def silver_observations(
    context: dg.AssetExecutionContext,
    bronze: BronzeResource,
    warehouse: WarehouseResource,
):
    """Parse the newest valid answer of every hour (earlier versions stay in bronze), resolve
    names, apply and count the guardrails, build the ledger; replace the month's ledger, facts,
    guardrail counts and quarantine in one transaction."""
    months = range_months(context)
    if len(months) > 1:  # a ranged run: one connection, parsing overlapped with writing
        yield from _observations_range(context, bronze, warehouse, months)
        return
    month, month_start, _, _ = _month_bounds(context)
    load = load_observations(
        warehouse.get_warehouse(),
        bronze.store("sec_snapshots"),
        month_start,
        hours_per_day=bronze.settings.hours_per_day,
    )
    silver, written = load.silver, load.written
    context.log.info(f"{month}: wrote {written}")
    yield from _observation_results(silver, load.answers.rows.height)


def _observations_range(
    context: dg.AssetExecutionContext,
    bronze: BronzeResource,
    warehouse: WarehouseResource,
    months: list[date],
):
    """Every month of the range (:func:`load_observations_range`); a month that fails rolls
    back alone, and the run then fails naming it (the others stay committed: re-running the
    range reloads them identically)."""
    store = bronze.store("sec_snapshots")
    load = load_observations_range(
        warehouse.get_warehouse(),
        store.root.parent,
        months,
        hours_per_day=bronze.settings.hours_per_day,
    )
    for month, written in load.written.items():
        context.log.info(f"{month}: wrote {written}")
    load.raise_failures()
    yield from _observation_results(load.combined(), load.raw_rows)


def _observation_results(silver: SilverMonth, raw_rows: int):
    yield dg.MaterializeResult(
        asset_key="snapshot_ledger", metadata=_ledger_metadata(silver.ledger)
    )
    guard = dict(silver.guardrails.group_by("guardrail").agg(pl.col("rows").sum()).iter_rows())
    facts = silver.facts
    yield dg.MaterializeResult(
        asset_key="fact_interrupciones",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(facts.height),
            "raw_rows": dg.MetadataValue.int(raw_rows),
            "customer_hours": dg.MetadataValue.int(int(facts["clientes_afectados"].sum())),
            "comunas": dg.MetadataValue.int(facts["geografia_id"].n_unique()),
            **{f"guardrail_{k}": dg.MetadataValue.int(v) for k, v in guard.items()},
            "quarantined": dg.MetadataValue.json(
                silver.quarantine.select("hour_key", "detail").rows()[:20]
            ),
            "preview": dg.MetadataValue.md(
                _md_table(
                    facts.sort("clientes_afectados", descending=True).select(
                        "hour_key",
                        "geografia_id",
                        "empresa_id",
                        "clientes_afectados",
                        "nombre_comuna_raw",
                    )
                )
            ),
        },
    )


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="silver",
    kinds=KINDS,
    deps=["fact_interrupciones", "snapshot_ledger"],
    description="Outage episodes of a comuna (and company) across consecutive hours, with peak, "
    "customer-hours, bounds and censoring. One episode across month boundaries.",
)
def fact_eventos(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Grain: one row per episode. The month's load recomputes every episode that has an hour
    in the month from its observations and those of the 14 days around it, and replaces them
    by id, together with any stored episode of the same comuna and company they overlap (a
    shorter version seen before the neighbouring month was loaded). An episode that crosses a
    month boundary is therefore one row, whichever month was loaded first."""
    months = range_months(context)  # a ranged run rebuilds the range's episodes at once
    start, end = range_bounds(months)
    events, replaced = load_events(warehouse.get_warehouse(), start, end)
    keys = [month_key(m) for m in months]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(events.height),
            "episodes_starting_this_month": dg.MetadataValue.int(
                int(events["month"].is_in(keys).sum())
            ),
            "replaced": dg.MetadataValue.int(replaced),
            "customer_hours": dg.MetadataValue.float(
                round(float(events["customer_hours"].sum()), 1)
            ),
            "max_peak_customers": dg.MetadataValue.int(
                int(cast(int, events["peak_customers"].max()) or 0)
            ),
            "censored_start": dg.MetadataValue.int(int(events["censored_start"].sum())),
            "censored_end": dg.MetadataValue.int(int(events["censored_end"].sum())),
            "preview": dg.MetadataValue.md(
                _md_table(
                    events.sort("peak_customers", descending=True).select(
                        "geografia_id",
                        "empresa_id",
                        "first_hour",
                        "last_hour",
                        "peak_customers",
                        "customer_hours",
                    )
                )
            ),
        }
    )

"""Gold assets: the dashboard's payloads (each validated before it leaves), their publication
to Supabase (or JSON files), the golden Parquet dataset and the 30-day view.

Gold counts only the months whose blocking checks passed on their latest evaluation
(:mod:`sec_assets.gold.trusted`); each asset's metadata lists the months left out and why.
Gold follows silver however a month was materialized (a job, a backfill, a click in the
asset graph) through declarative automation (``GOLD_CONDITION``), evaluated by Dagster's
``default_automation_condition_sensor`` once it is turned on.

Each asset's ``deps`` are the silver assets writing the tables its SQL reads (its models'
refs, and the inputs its Python code declares, the month verdicts of
:func:`~sec_assets.gold.trusted.excluded_months` included: :mod:`sec_assets.gold.lineage`); its
metadata shows that SQL.
"""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import dagster as dg

from sec_assets.gold import (
    coverage,
    investment,
    local_files,
    observations,
    publish,
    recent,
    reliability,
    trusted,
)
from sec_assets.gold.contract import DASHBOARD_IDS, DASHBOARD_TABLE, RESEARCH_IDS, RESEARCH_TABLE
from sec_assets.gold.coverage import data_coverage
from sec_assets.gold.golden import GoldenRange
from sec_assets.gold.labels import dashboard_regions, quality_labels
from sec_assets.gold.lineage import silver_deps, sql_metadata
from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.payloads import ROW_MODELS, validate_payload
from sec_assets.gold.reliability import reliability_indices
from sec_assets.gold.sync import DashboardSinkResource
from sec_assets.gold.trusted import excluded_months
from sec_assets.month import Month
from sec_assets.month_runs import MonthMetadata, month_by_month
from sec_assets.partitions import BACKFILL_POLICY, monthly_partitions
from sec_assets.resource_settings import settings_metadata
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource

if TYPE_CHECKING:
    import polars as pl


def _investment(name: str) -> Callable[[Warehouse], "pl.DataFrame"]:
    return lambda wh: getattr(investment, name)(wh)


def _sql(name: str) -> Callable[[Warehouse], "pl.DataFrame"]:
    return lambda wh: run_model(wh, name)


def _regions(name: str) -> Callable[[Warehouse], "pl.DataFrame"]:
    return lambda wh: dashboard_regions(run_model(wh, name))


# Gold follows any new silver month: eager, except that months never loaded (every month since
# 2017 is a partition of the parents) do not hold it back. A month failing its blocking checks
# does not block gold either: gold leaves that month out (trusted.py).
GOLD_CONDITION = (
    dg.AutomationCondition.eager()
    .without(~dg.AutomationCondition.any_deps_missing())
    .with_label("gold follows silver")
)
# The golden Parquet: each month follows its own fact_eventos, old months included. The
# dimensions it joins (unpartitioned, reloaded with a new seed) and the ledger read for the
# month verdicts do not request it.
GOLDEN_CONDITION = (
    dg.AutomationCondition.eager()
    .without(dg.AutomationCondition.in_latest_time_window())
    .allow(dg.AssetSelection.assets("fact_eventos"))
    .with_label("golden month follows its silver month")
)


def _model(name: str) -> Inputs:
    return Inputs(models=(name,))


def _reading_verdicts(inputs: Inputs) -> Inputs:
    """What an asset calling :func:`excluded_months` reads: its own inputs and the month
    verdicts (:data:`sec_assets.gold.trusted.INPUTS`)."""
    return inputs | trusted.INPUTS


def _payload_condition(inputs: Inputs) -> dg.AutomationCondition:
    """``GOLD_CONDITION`` on what the payload's rows read (``inputs``): a table read only for its
    ``excluded_months`` metadata does not re-run it on its own."""
    own = set(silver_deps(inputs))
    verdicts_only = [k for k in silver_deps(_reading_verdicts(inputs)) if k not in own]
    if not verdicts_only:
        return GOLD_CONDITION
    return GOLD_CONDITION.ignore(dg.AssetSelection.assets(*verdicts_only))


# Payload id → (its rows, what it reads, its description).
COMPUTE: dict[str, tuple[Callable[[Warehouse], "pl.DataFrame"], Inputs, str]] = {
    "market_map": (
        _regions("market_map"),
        _model("market_map"),
        "Per region, comuna and company: customers "
        "affected, episodes and a 0–100 instability index.",
    ),
    "time_series": (
        _regions("time_series"),
        _model("time_series"),
        "Customers affected per month and region.",
    ),
    "company_ranking": (
        _sql("company_ranking"),
        _model("company_ranking"),
        "Top 15 companies by customers affected.",
    ),
    "eda_quality_stats": (
        lambda wh: quality_labels(run_model(wh, "eda_quality_stats")),
        _model("eda_quality_stats"),
        "Guardrail and ledger counts, with readable Spanish labels.",
    ),
    "data_coverage": (
        data_coverage,
        coverage.INPUTS,
        "Per month: hours expected, ok, empty, failed, degraded; revisions seen; whether gold "
        "counts it or why not. Plus every dashboard row left out, with the reason.",
    ),
    "reliability_indices": (
        reliability_indices,
        reliability.INPUTS,
        "Per region and month: frequency and "
        "duration proxies, with IEEE 1366 major event days excluded too.",
    ),
    "investment_roi": (
        _investment("investment_roi"),
        investment.ROI_INPUTS,
        "Per region: customers affected vs energy investment (SEIA).",
    ),
    "investment_validation": (
        _investment("investment_validation"),
        investment.VALIDATION_INPUTS,
        "Per SEIA project in operation: change of the region's "
        "customer-hours per customer, 12 months after vs before.",
    ),
    "eda_projects_dist": (
        _investment("eda_projects_dist"),
        investment.EDA_PROJECTS_INPUTS,
        "Energy-sector SEIA projects per region.",
    ),
}
GOLDEN_INPUTS = _reading_verdicts(_model("golden_eventos") | observations.INPUTS)
RECENT_INPUTS = _reading_verdicts(recent.INPUTS)
# Every payload id has a row model; recent_30d's payload is written by its own asset.
assert {*COMPUTE, "recent_30d"} == set(ROW_MODELS) == {*DASHBOARD_IDS, *RESEARCH_IDS}


def _excluded_md(excluded: dict[str, str]) -> dict[str, dg.MetadataValue]:
    return {
        "excluded_months": dg.MetadataValue.json(excluded),
        "excluded_month_count": dg.MetadataValue.int(len(excluded)),
    }


def _payload_asset(payload_id: str) -> dg.AssetsDefinition:
    compute, inputs, doc = COMPUTE[payload_id]
    reads = _reading_verdicts(inputs)

    @dg.asset(
        name=payload_id,
        group_name="gold",
        kinds={"sql", "json"},
        deps=silver_deps(reads),
        metadata=sql_metadata(reads),
        description=doc,
        automation_condition=_payload_condition(inputs),
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        wh = warehouse.get_warehouse()
        frame = compute(wh)
        rows = validate_payload(payload_id, frame)
        path = local_files.write_payload(warehouse.settings.data_dir, payload_id, rows)
        table = DASHBOARD_TABLE if payload_id in DASHBOARD_IDS else RESEARCH_TABLE
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(len(rows)),
                "path": dg.MetadataValue.path(str(path)),
                "published_to": dg.MetadataValue.text(table),
                "preview": dg.MetadataValue.json(rows[:5]),
                **_excluded_md(excluded_months(wh)),
                **warehouse.settings_metadata(),
            }
        )

    return _asset


payload_assets = [_payload_asset(p) for p in COMPUTE]


@dg.asset(
    group_name="gold",
    kinds={"supabase", "json"},
    deps=[*COMPUTE, "recent_30d"],
    description="Publishes the dashboard's payloads to Supabase dashboard_stats and the research "
    "payloads to research_stats (or JSON files when Supabase is not configured), and deletes "
    "the rows of ids no longer published. One failing payload does not hide the others.",
    automation_condition=GOLD_CONDITION,
)
def dashboard_stats(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    dashboard: DashboardSinkResource,
) -> dg.MaterializeResult:
    """Grain: one row per payload id in ``dashboard_stats`` / ``research_stats``
    ``(id, data, updated_at)``."""
    data_dir = warehouse.settings.data_dir
    published: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    removed: dict[str, list[str]] = {}
    locations: dict[str, str] = {}
    target = ""
    for table, ids in ((DASHBOARD_TABLE, DASHBOARD_IDS), (RESEARCH_TABLE, RESEARCH_IDS)):
        payloads = {pid: local_files.read_payload(data_dir, pid) for pid in ids}
        report = dashboard.publish(payloads, logger=context.log, table=table, prune=True)
        published[table], removed[table] = report.published, report.removed
        failed.update(report.failed)
        target, locations[table] = report.target, report.location
    metadata = {
        "target": dg.MetadataValue.text(target),
        "location": dg.MetadataValue.text(locations[DASHBOARD_TABLE]),
        "research_location": dg.MetadataValue.text(locations[RESEARCH_TABLE]),
        "published": dg.MetadataValue.json(published),
        "removed_stale_ids": dg.MetadataValue.json(removed),
        "failed": dg.MetadataValue.json(failed),
        **settings_metadata(dashboard),
    }
    if failed:
        raise dg.Failure(
            description=f"{len(failed)} payload(s) failed to publish: "
            f"{sorted(failed)}; published: {published}",
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="gold",
    kinds={"parquet"},
    deps=silver_deps(GOLDEN_INPUTS),
    metadata=sql_metadata(GOLDEN_INPUTS),
    description="Golden Parquet of the month, two grains: its episodes joined to their "
    "dimensions (gold/parquet/fact_eventos/year=YYYY/month=MM/) and its observations, one row "
    "per hour, comuna and company with the hour's ledger status and cadence "
    "(gold/parquet/fact_observaciones/…); no file for a month whose blocking checks did not "
    "pass.",
    automation_condition=GOLDEN_CONDITION,
)
def golden_eventos(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
    """Grain: one row per episode that started in the month; beside it, one row per (hour,
    comuna, company) observed, and per (hour, comuna) without valid data. Rewritten
    atomically. A ranged run reads the rows of all its months at once, then writes the files
    of each month in turn (:mod:`sec_assets.gold.golden`)."""
    settings = warehouse.settings
    golden = GoldenRange(warehouse.get_warehouse(), settings.data_dir, Month.range_of(context))

    def one(month: Month) -> MonthMetadata:
        done = golden.write(month)
        if not done.paths:
            publish.withdraw_month(settings, month)
            context.log.warning("golden_eventos %s left out: %s", month, done.reason)
            return {
                "dagster/row_count": dg.MetadataValue.int(0),
                "excluded": dg.MetadataValue.text(str(done.reason)),
                "removed_file": dg.MetadataValue.bool(done.removed),
                **warehouse.settings_metadata(),
            }
        events, observed = done.paths["fact_eventos"], done.paths["fact_observaciones"]
        return {
            "dagster/row_count": dg.MetadataValue.int(done.rows),
            "path": dg.MetadataValue.path(publish.publish(settings, events)),
            "bytes": dg.MetadataValue.int(events.stat().st_size),
            "observation_rows": dg.MetadataValue.int(done.observations),
            "observations_path": dg.MetadataValue.path(publish.publish(settings, observed)),
            "observations_bytes": dg.MetadataValue.int(observed.stat().st_size),
            **warehouse.settings_metadata(),
        }

    yield from month_by_month(context, one, columns=("dagster/row_count", "bytes", "excluded"))


@dg.asset(
    group_name="gold",
    kinds={"sql"},
    deps=silver_deps(RECENT_INPUTS),
    metadata=sql_metadata(RECENT_INPUTS),
    description="gold.recent_30d: a view of the episodes seen in the last 30 days of data "
    "(checked months only), and the research payload recent_30d (its rows with the window: from, "
    "to, as of). Also removes the golden Parquet files of months gold left out since they were "
    "written (their re-run failed a blocking check before golden_eventos).",
    automation_condition=GOLD_CONDITION,
)
def recent_30d(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Grain: one row per episode whose last hour is in the window."""
    wh = warehouse.get_warehouse()
    recent.refresh_view(wh)
    rows = validate_payload("recent_30d", recent.recent_30d(wh))
    data_dir = warehouse.settings.data_dir
    path = local_files.write_payload(data_dir, "recent_30d", rows)
    excluded = excluded_months(wh)
    swept = [
        m for m in sorted(excluded) if local_files.remove_golden_month(data_dir, Month.parse(m))
    ]
    for m in swept:
        publish.withdraw_month(warehouse.settings, Month.parse(m))
    window = {k: rows[0][k] for k in ("window_from", "window_to", "as_of")} if rows else {}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(rows)),
            "path": dg.MetadataValue.path(str(path)),
            "published_to": dg.MetadataValue.text(RESEARCH_TABLE),
            "window": dg.MetadataValue.json(window),
            "golden_files_removed": dg.MetadataValue.json(swept),
            **_excluded_md(excluded),
        }
    )

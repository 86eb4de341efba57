"""Gold assets: the dashboard's payloads (each validated before it leaves), their publication
to Supabase (or JSON files), the golden Parquet dataset and the 30-day view."""

from collections.abc import Callable

import dagster as dg
import polars as pl

from sec_assets.gold import publish
from sec_assets.gold.models import model_sql, run_model
from sec_assets.gold.payloads import ROW_MODELS, validate_payload
from sec_assets.gold.reliability import reliability_indices
from sec_assets.gold.sync import DashboardSinkResource
from sec_assets.partitions import monthly_partitions
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.resource import WarehouseResource

SILVER = ["fact_eventos", "fact_interrupciones", "snapshot_ledger", "region_customers"]


def _investment(name: str) -> Callable[[Warehouse], pl.DataFrame]:
    def compute(wh: Warehouse) -> pl.DataFrame:
        from sec_assets.gold import investment

        return getattr(investment, name)(wh)

    return compute


def _sql(name: str) -> Callable[[Warehouse], pl.DataFrame]:
    return lambda wh: run_model(wh, name)


COMPUTE: dict[str, tuple[Callable[[Warehouse], pl.DataFrame], list[str], str]] = {
    "market_map": (
        _sql("market_map"),
        SILVER,
        "Per region, comuna and company: customers "
        "affected, episodes and a 0–100 instability index.",
    ),
    "time_series": (_sql("time_series"), SILVER, "Customers affected per month and region."),
    "company_ranking": (_sql("company_ranking"), SILVER, "Top 15 companies by customers affected."),
    "eda_quality_stats": (_sql("eda_quality_stats"), SILVER, "Guardrail and ledger counts."),
    "data_coverage": (
        _sql("data_coverage"),
        SILVER,
        "Per month: hours expected, ok, empty, failed, degraded; revisions seen.",
    ),
    "reliability_indices": (
        reliability_indices,
        SILVER,
        "Per region and month: frequency and "
        "duration proxies, with IEEE 1366 major event days excluded too.",
    ),
    "investment_roi": (
        _investment("investment_roi"),
        [*SILVER, "seia_projects"],
        "Per region: customers affected vs energy investment (SEIA).",
    ),
    "investment_validation": (
        _investment("investment_validation"),
        [*SILVER, "seia_projects"],
        "Per SEIA project in operation: change of the region's "
        "customer-hours per customer, 12 months after vs before.",
    ),
    "eda_projects_dist": (
        _investment("eda_projects_dist"),
        ["seia_projects"],
        "Energy-sector SEIA projects per region.",
    ),
}
assert set(COMPUTE) == set(ROW_MODELS)


def _payload_asset(payload_id: str) -> dg.AssetsDefinition:
    compute, deps, doc = COMPUTE[payload_id]

    @dg.asset(name=payload_id, group_name="gold", kinds={"sql", "json"}, deps=deps, description=doc)
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        frame = compute(warehouse.get_warehouse())
        rows = validate_payload(payload_id, frame)
        path = publish.write_payload(warehouse.settings.data_dir, payload_id, rows)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(len(rows)),
                "path": dg.MetadataValue.path(str(path)),
                "preview": dg.MetadataValue.json(rows[:5]),
            }
        )

    return _asset


payload_assets = [_payload_asset(p) for p in COMPUTE]


@dg.asset(
    group_name="gold",
    kinds={"supabase", "json"},
    deps=list(COMPUTE),
    description="Publishes every payload to Supabase dashboard_stats (or JSON files when "
    "Supabase is not configured). One failing payload does not hide the others.",
)
def dashboard_stats(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    dashboard: DashboardSinkResource,
) -> dg.MaterializeResult:
    """Grain: one row per payload id in ``dashboard_stats (id, data, updated_at)``."""
    data_dir = warehouse.settings.data_dir
    payloads = {pid: publish.read_payload(data_dir, pid) for pid in COMPUTE}
    report = dashboard.publish(payloads, logger=context.log)
    metadata = {
        "target": dg.MetadataValue.text(report.target),
        "location": dg.MetadataValue.text(report.location),
        "published": dg.MetadataValue.json(report.published),
        "failed": dg.MetadataValue.json(report.failed),
    }
    if report.failed:
        raise dg.Failure(
            description=f"{len(report.failed)} payload(s) failed to publish: "
            f"{sorted(report.failed)}; published: {report.published}",
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="gold",
    kinds={"parquet"},
    deps=["fact_eventos"],
    description="Golden Parquet: the month's episodes joined to their dimensions, one file per "
    "month under gold/parquet/fact_eventos/year=YYYY/month=MM/.",
)
def golden_eventos(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Grain: one row per episode that started in the month. Rewritten atomically."""
    month = context.partition_key[:7]
    frame = run_model(warehouse.get_warehouse(), "golden_eventos", {"month": month})
    path = publish.write_golden_month(warehouse.settings.data_dir, month, frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(frame.height),
            "path": dg.MetadataValue.path(str(path)),
            "bytes": dg.MetadataValue.int(path.stat().st_size),
        }
    )


@dg.asset(
    group_name="gold",
    kinds={"sql"},
    deps=["fact_eventos"],
    description="gold.recent_30d: a view of the episodes seen in the last 30 days of data.",
)
def recent_30d(warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.get_warehouse()
    wh.execute(model_sql("recent_30d"))
    count = wh.read("SELECT COUNT(*) AS n FROM gold.recent_30d")["n"].item()
    return dg.MaterializeResult(metadata={"dagster/row_count": dg.MetadataValue.int(int(count))})

"""The SEIA project list: reference data, unpartitioned, loaded into silver.seia_projects."""

from importlib.resources import files
from pathlib import Path

import dagster as dg

from sec_assets.silver.writes import writes
from sec_assets.warehouse.resource import WarehouseResource

SAMPLE = files("sec_assets") / "seeds" / "seia_sample.csv"


@dg.asset(
    group_name="silver",
    kinds={"polars", "sql"},
    deps=["dim_geografia"],
    metadata=writes("seia_projects"),
    description="Energy-sector projects of the SEIA (environmental assessment) list: the "
    "investment side of 'does investment make the grid more reliable'. SEC_SEIA_CSV, or the "
    "shipped sample.",
)
def seia_projects(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Grain: one row per energy project. The whole table is replaced in one transaction;
    rows whose region, investment or date cannot be read are counted, not dropped."""
    from sec_assets.silver.seia import load_seia

    path = warehouse.settings.seia_csv or Path(str(SAMPLE))
    result = load_seia(warehouse.get_warehouse(writes=True), Path(path))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(result.frame.height),
            "source": dg.MetadataValue.path(str(path)),
            "rows_read": dg.MetadataValue.int(result.rows_read),
            "energy_rows": dg.MetadataValue.int(result.energy_rows),
            "unresolved_region": dg.MetadataValue.int(result.unresolved_region),
            "unparsable_investment": dg.MetadataValue.int(result.unparsable_investment),
            "unparsable_date": dg.MetadataValue.int(result.unparsable_date),
        }
    )

"""``research_release``: a versioned release bundle (:mod:`sec_assets.release.bundle`) of the
months gold trusts. Its own group, ``release``, with no automation condition: a release is
launched on purpose (the UI, or ``python -m sec_assets release``), never by a schedule."""

from pathlib import Path

import dagster as dg

from sec_assets.gold.lineage import silver_deps, sql_metadata
from sec_assets.release.bundle import INPUTS, build_release, parse_months
from sec_assets.warehouse.resource import WarehouseResource

GROUP = "release"


class ReleaseConfig(dg.Config):
    months: str | None = None  # "YYYY-MM..YYYY-MM" (or one month); every month when unset
    out: str | None = None  # the bundle's folder; $SEC_DATA_DIR/releases/<version> when unset


@dg.asset(
    group_name=GROUP,
    kinds={"parquet", "python"},
    deps=silver_deps(INPUTS),
    metadata=sql_metadata(INPUTS),
    description="A versioned research release: both grains' golden Parquet, reliability "
    "indices and data coverage (Parquet and CSV), the codebook, figures drawn from the bundle "
    "and a manifest (months with cadence and check verdicts, rows, sha256 of every file, code "
    "version); its version is the hash of its content. Launched explicitly.",
)
def research_release(
    context: dg.AssetExecutionContext, config: ReleaseConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Grain: one bundle (a folder) per release; the same data gives the same version and
    the same bytes."""
    months = parse_months(config.months) if config.months else None
    out = Path(config.out) if config.out else None
    done = build_release(warehouse.get_warehouse(), out, warehouse.settings.data_dir, months)
    content = done.manifest["content"]
    included = [m["month"] for m in content["months"] if m["included"]]
    left_out = {m["month"]: m["reason"] for m in content["months"] if not m["included"]}
    context.log.info("release %s: %d files at %s", done.version, len(done.files), done.path)
    return dg.MaterializeResult(
        metadata={
            "version": dg.MetadataValue.text(done.version),
            "path": dg.MetadataValue.path(str(done.path)),
            "files": dg.MetadataValue.int(len(done.files)),
            "bytes": dg.MetadataValue.int(done.bytes),
            "months_included": dg.MetadataValue.json(included),
            "months_left_out": dg.MetadataValue.json(left_out),
            "window": dg.MetadataValue.json(content["window"]),
            "build": dg.MetadataValue.json(done.manifest["build"]),
        }
    )

"""``research_release``: a versioned release bundle (:mod:`sec_assets.release.bundle`) of the
months gold trusts. A publication, launched on purpose: the ``release_research`` job (Jobs →
``release_research`` → Launchpad) or ``python -m sec_assets release``. ``research_release`` stays
on the asset graph, in its own group ``release``, as an asset only that job writes (not
executable on its own), so "Materialize all" never publishes a release and no schedule or
automation condition does."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from sec_assets.asset_labels import written_by
from sec_assets.gold.lineage import silver_deps, sql_metadata
from sec_assets.release.bundle import INPUTS, build_release, parse_months
from sec_assets.warehouse.resource import WarehouseResource

GROUP = "release"


class ReleaseConfig(dg.Config):
    months: str | None = None  # "YYYY-MM..YYYY-MM" (or one month); every month when unset
    out: str | None = None  # the bundle's folder; $SEC_DATA_DIR/releases/<version> when unset


RELEASE_KEY = dg.AssetKey("research_release")


@dg.op(
    name="research_release",
    description="Write a versioned research release bundle of the months gold trusts.",
)
def research_release(
    context: dg.OpExecutionContext, config: ReleaseConfig, warehouse: WarehouseResource
) -> Iterator[dg.AssetMaterialization | dg.Output[None]]:
    """Grain: one bundle (a folder) per release; the same data gives the same version and
    the same bytes."""
    months = parse_months(config.months) if config.months else None
    out = Path(config.out) if config.out else None
    done = build_release(warehouse.get_warehouse(), out, warehouse.settings.data_dir, months)
    content = done.manifest["content"]
    included = [m["month"] for m in content["months"] if m["included"]]
    left_out = {m["month"]: m["reason"] for m in content["months"] if not m["included"]}
    context.log.info("release %s: %d files at %s", done.version, len(done.files), done.path)
    yield dg.AssetMaterialization(
        asset_key=RELEASE_KEY,
        metadata={
            "version": dg.MetadataValue.text(done.version),
            "path": dg.MetadataValue.path(str(done.path)),
            "files": dg.MetadataValue.int(len(done.files)),
            "bytes": dg.MetadataValue.int(done.bytes),
            "months_included": dg.MetadataValue.json(included),
            "months_left_out": dg.MetadataValue.json(left_out),
            "window": dg.MetadataValue.json(content["window"]),
            "build": dg.MetadataValue.json(done.manifest["build"]),
        },
    )
    yield dg.Output(None)


@dg.job(
    description="Publish a versioned research release (both grains' golden Parquet, research "
    "tables, codebook, figures, manifest). Config: months (YYYY-MM..YYYY-MM), out.",
    tags={"kind": "release"},
)
def release_research() -> None:
    research_release()


RESEARCH_RELEASE = written_by(
    dg.AssetSpec(
        RELEASE_KEY,
        group_name=GROUP,
        kinds={"parquet", "python"},
        deps=silver_deps(INPUTS),
        metadata=sql_metadata(INPUTS),
        description="A versioned research release: both grains' golden Parquet, reliability "
        "indices and data coverage (Parquet and CSV), the codebook, figures drawn from the "
        "bundle and a manifest (months with cadence and check verdicts, rows, sha256 of every "
        "file, code version); its version is the hash of its content. Written by the "
        "release_research job only, never by Materialize all.",
    ),
    research_release,
)

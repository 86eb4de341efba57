"""The code location: every asset, check, resource and automation of sec_assets."""

import dagster as dg

from sec_assets import automation
from sec_assets.asset_labels import label
from sec_assets.bronze.archive_job import BRONZE_ARCHIVE, archive_bronze
from sec_assets.bronze.assets import sec_customers, sec_snapshots
from sec_assets.bronze.import_job import SEC_SEED_IMPORT, import_seed
from sec_assets.bronze.national import sec_national_series
from sec_assets.gold.assets import dashboard_stats, golden_eventos, payload_assets, recent_30d
from sec_assets.gold.figures import figures
from sec_assets.process_gc import freeze_loaded
from sec_assets.release.assets import RESEARCH_RELEASE, release_research
from sec_assets.resources import local_resources
from sec_assets.silver.checks_job import silver_checks
from sec_assets.silver.registry import SILVER_ASSETS

defs = dg.Definitions(
    # Owners, layer/grain tags and local code references (sec_assets.asset_labels).
    assets=label(
        automation.with_freshness(
            [
                sec_snapshots,
                sec_customers,
                sec_national_series,
                # Maintenance and an optional import: on the graph, written only by their
                # jobs (archive_bronze, import_seed), so "Materialize all" leaves them out.
                BRONZE_ARCHIVE,
                SEC_SEED_IMPORT,
                *SILVER_ASSETS,
                *payload_assets,
                dashboard_stats,
                golden_eventos,
                recent_30d,
                figures,
                RESEARCH_RELEASE,  # written by the release_research job only
            ]
        ),
    ),
    # silver_checks: the silver checks alone; archive_bronze, import_seed: see above.
    jobs=[*automation.jobs, silver_checks, archive_bronze, import_seed, release_research],
    # A month's steps run one after the other anyway (bronze → silver → golden Parquet), so
    # each in its own process (the multiprocess default) spent more time starting Python and
    # loading this code location than working.
    # Parallelism comes from concurrent runs (months), not from steps (docs/scale_out.md §4).
    executor=dg.in_process_executor,
    schedules=automation.schedules,
    sensors=automation.sensors,
    # sec_client, bronze, warehouse and dashboard on one storage; settings left unset are read
    # from SEC_* / SUPABASE_* when a run starts, not at import time.
    resources=local_resources(),
)
freeze_loaded()  # the code location, built: alive as long as the process

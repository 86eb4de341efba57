"""The two jobs the automation launches, and how they retry.

``monthly_pipeline`` (partitioned by month) carries one month from bronze to gold: the one
selection for it, in the UI (Jobs → ``monthly_pipeline``), the schedules and the sensors;
``gold_refresh`` (unpartitioned) rebuilds what reads every month at once: the dashboard
payloads, their publication, ``recent_30d`` and the figures. They stay apart on purpose: one
job mixing both kinds would rebuild and republish every payload once per month of a backfill,
from runs racing each other. Gold's own ``AutomationCondition`` (``gold/assets.py``) refreshes
it once after a burst; ``gold_refresh`` runs it by hand.
"""

import dagster as dg

from sec_assets.automation.breaker_job import reset_sec_breaker
from sec_assets.gold.assets import COMPUTE

MONTHLY_ASSETS = [
    "sec_snapshots",
    "sec_customers",
    "region_customers",
    "snapshot_ledger",
    "fact_interrupciones",
    "fact_eventos",
    "golden_eventos",
    "sec_national_series",  # Get, for the open month's cross-check (silver/national.py)
    "national_hourly",
]
GOLD_REFRESH_ASSETS = [*COMPUTE, "dashboard_stats", "recent_30d", "figures"]

# Retries. Both jobs carry an op retry policy (exponential backoff with ± jitter), the current
# Dagster mechanism for transient failures: a failed step is retried inside the same run, after a
# delay, without re-running the steps that succeeded. This suits our failures: ``sec_snapshots``
# is resumable (a retry asks only for the hours still missing), loads replace exactly one month in
# one transaction, and a publish to Supabase is an upsert. A failed blocking check is not retried
# (Dagster raises it as a framework error, outside the retry policy): it is a verdict on the data.
# Whole-run retries (``run_retries`` in ``config/dagster.yaml``) are kept for runs that crashed (a
# killed worker): both jobs carry ``dagster/retry_on_asset_or_op_failure: false``, and the
# instance sets the same default for runs launched from the UI, so a run that failed on a step or
# a check is never launched again as a duplicate failed run. Op retries apply to runs of these
# jobs (schedules and sensors launch them); a "Materialize" clicked in the UI runs without them.
#
# 3 retries with exponential backoff (± jitter): enough to outlast a blip of the SEC service or of
# the warehouse, short enough that a run blocked by an open circuit breaker fails within minutes
# and leaves the month to incomplete_months_sensor.
MONTHLY_RETRY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
GOLD_RETRY = dg.RetryPolicy(
    max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# Whole-run retries for crashes only, never for a failed step or check (see above).
RUN_RETRY_TAGS = {"dagster/retry_on_asset_or_op_failure": "false"}

monthly_pipeline = dg.define_asset_job(
    name="monthly_pipeline",
    selection=dg.AssetSelection.assets(*MONTHLY_ASSETS),
    op_retry_policy=MONTHLY_RETRY,
    tags=RUN_RETRY_TAGS,
    description="One month, bronze → gold: the SEC service's answers (bronze), the star "
    "schema and its checks (silver, with the dimensions it references), the golden Parquet. "
    "Materialize all… and pick the month (2024-09).",
)

gold_refresh = dg.define_asset_job(
    name="gold_refresh",
    selection=dg.AssetSelection.assets(*GOLD_REFRESH_ASSETS),
    op_retry_policy=GOLD_RETRY,
    tags=RUN_RETRY_TAGS,
    description="Rebuild the dashboard payloads from silver, publish them, refresh recent_30d "
    "and redraw the figures.",
)

jobs = (monthly_pipeline, gold_refresh, reset_sec_breaker)

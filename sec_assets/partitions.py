"""The one partitions definition of the platform, calendar months in Chile's time zone, and how
a backfill cuts it into runs."""

from __future__ import annotations

import warnings

import dagster as dg

from sec_assets.month import LABEL_FORMAT, SEC_TIMEZONE, Month

# Keys are the month's label (``2024-09``), the spelling of every message, document and the
# UI's partition picker. end_offset=1 keeps the current (open) month in the set: it is
# refreshed while it lasts.
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=Month.history_start().label,
    fmt=LABEL_FORMAT,
    timezone=SEC_TIMEZONE,
    end_offset=1,
)

#: A year per run: a backfill of the whole history is ~10 runs per layer. Every monthly asset
#: takes the same policy, so a backfill runs bronze → silver → golden Parquet of a range in one
#: run, and a job mixing them (``monthly_pipeline``) has one policy. A range's episodes are
#: rebuilt from its observations at once, in memory, so a range is bounded.
MAX_MONTHS_PER_RUN = 12
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_MONTHS_PER_RUN)
# `backfill_policy=` on an asset is a beta parameter in Dagster 1.13, used knowingly; its
# warning (printed at every import of the code location) is silenced for that parameter only.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

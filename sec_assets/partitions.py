"""The one partitions definition of the platform: calendar months in Chile's time zone."""

from __future__ import annotations

import dagster as dg

from sec_assets.month import HISTORY_START, SEC_TIMEZONE

# end_offset=1 keeps the current (open) month in the set: it is refreshed while it lasts.
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=HISTORY_START, timezone=SEC_TIMEZONE, end_offset=1
)

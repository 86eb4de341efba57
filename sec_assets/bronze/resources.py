"""Where bronze lives and how a month is collected; unset fields come from ``SEC_*``."""

from __future__ import annotations

from typing import ClassVar

from sec_assets.bronze.store import BronzeStore, open_store
from sec_assets.resource_settings import StoredResource
from sec_assets.settings_report import field


class BronzeResource(StoredResource):
    """The bronze store (``SEC_BRONZE_URL``: a folder or an object-store URL; default
    ``<storage data_dir>/bronze``) and the collection cadence."""

    hours_per_day: int | None = field("hours_per_day", "Hours sampled per day (4: 00, 06, …).")
    min_month_coverage: float | None = field(
        "min_month_coverage", "Share of a month's hours that must have a valid answer."
    )
    revision_lookback_hours: int | None = field(
        "revision_lookback_hours", "The open month re-fetches hours closed this recently."
    )
    revision_min_age_s: float | None = field(
        "revision_min_age_s", "…whose newest answer is at least this old (s)."
    )

    REPORTED: ClassVar[tuple[str, ...]] = (
        "data_dir",
        "bronze_url",
        "hours_per_day",
        "min_month_coverage",
    )

    def store(self, dataset: str) -> BronzeStore:
        return open_store(self.settings.bronze_root, dataset)

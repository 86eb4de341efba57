"""Where bronze lives and how a month is collected; unset fields come from ``SEC_*``."""

from __future__ import annotations

from sec_assets.bronze.store import BronzeStore
from sec_assets.resource_settings import SettingsResource


class BronzeResource(SettingsResource):
    """The bronze file store under ``$SEC_DATA_DIR/bronze`` and the collection cadence."""

    data_dir: str | None = None
    hours_per_day: int | None = None
    min_month_coverage: float | None = None
    revision_lookback_hours: int | None = None
    revision_min_age_s: float | None = None

    def store(self, dataset: str) -> BronzeStore:
        return BronzeStore(self.settings.data_dir / "bronze", dataset)

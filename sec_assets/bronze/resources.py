"""Where bronze lives and how a month is collected; unset fields come from ``SEC_*``."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from sec_assets.bronze.store import BronzeStore
from sec_assets.settings import SecSettings, load_settings


class BronzeResource(dg.ConfigurableResource):
    """The bronze file store under ``$SEC_DATA_DIR/bronze`` and the collection cadence."""

    data_dir: str | None = None
    hours_per_day: int | None = None
    min_month_coverage: float | None = None
    revision_lookback_hours: int | None = None
    revision_min_age_s: float | None = None

    _settings: SecSettings | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._settings = load_settings(**self.model_dump(exclude_none=True))

    @property
    def settings(self) -> SecSettings:
        if self._settings is None:
            self._settings = load_settings(**self.model_dump(exclude_none=True))
        return self._settings

    def store(self, dataset: str) -> BronzeStore:
        return BronzeStore(self.settings.data_dir / "bronze", dataset)

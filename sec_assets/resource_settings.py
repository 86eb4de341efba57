"""The base of our resources: fields left unset are read from the environment (``SEC_*``) into
:class:`SecSettings` when a run starts, never at import time."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from sec_assets.settings import SecSettings, load_settings


class SettingsResource(dg.ConfigurableResource):
    """``self.settings``: the resource's own fields over the environment's ``SEC_*``."""

    _settings: SecSettings | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._settings = load_settings(**self.model_dump(exclude_none=True))

    @property
    def settings(self) -> SecSettings:
        if self._settings is None:
            self._settings = load_settings(**self.model_dump(exclude_none=True))
        return self._settings

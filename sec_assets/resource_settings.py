"""The base of our resources: fields left unset are read from the environment (``SEC_*``) into
:class:`SecSettings` when a run starts, never at import time.

Why not ``dg.EnvVar`` fields: an ``EnvVar`` whose variable is unset fails the run, and every
setting here has a sensible default. Instead each field's description names its variable and
default (the UI's resource page shows it), and each resource logs at INFO, when a run starts,
the effective value of the settings it uses and where each came from (``settings_report``).
"""

from __future__ import annotations

from typing import ClassVar

import dagster as dg
from pydantic import PrivateAttr

from sec_assets.settings import SecSettings, load_settings
from sec_assets.settings_report import describe


class SettingsResource(dg.ConfigurableResource):
    """``self.settings``: the resource's own fields over the environment's ``SEC_*``."""

    _settings: SecSettings | None = PrivateAttr(default=None)
    #: The settings this resource reports at the start of a run.
    REPORTED: ClassVar[tuple[str, ...]] = ()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        explicit = self.model_dump(exclude_none=True)
        self._settings = load_settings(**explicit)
        if self.REPORTED and context.log is not None:
            line = describe(self._settings, self.REPORTED, explicit)
            context.log.info(f"{type(self).__name__} settings: {line}")

    @property
    def settings(self) -> SecSettings:
        if self._settings is None:
            self._settings = load_settings(**self.model_dump(exclude_none=True))
        return self._settings

"""The base of our resources: fields left unset are read from the environment (``SEC_*``) into
:class:`SecSettings` when a run starts, never at import time. :class:`StorageResource` is the one
place ``data_dir`` is set: every resource that keeps files nests it (:class:`StoredResource`).

Why not ``dg.EnvVar`` fields: an ``EnvVar`` whose variable is unset fails the run, and every
setting here has a sensible default. Instead each field's description names its variable and
default (the UI's resource page shows it), and each resource logs at INFO, when a run starts,
the effective value of the settings it uses and where each came from (``settings_report``);
assets put the same facts in their materialization metadata with :func:`settings_metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import dagster as dg
from pydantic import Field, PrivateAttr

from sec_assets.metadata_table import rows_table
from sec_assets.process_gc import skip_collection_at_exit
from sec_assets.settings import SecSettings, load_settings
from sec_assets.settings_report import describe, field, rows

#: The key of the settings table in an asset's materialization metadata.
SETTINGS_KEY = "settings in force"
_COLUMNS = dict.fromkeys(("resource", "setting", "variable", "value", "source"), "string")


def settings_metadata(*resources: SettingsRows) -> dict[str, dg.TableMetadataValue]:
    """The effective settings of ``resources`` as one metadata table (secrets: set/unset)."""
    table = [row for resource in resources for row in resource.settings_rows()]
    return {SETTINGS_KEY: rows_table(table, _COLUMNS)}


class SettingsRows(Protocol):
    def settings_rows(self) -> list[dict[str, str]]: ...


@dataclass(frozen=True)
class Shown:
    """Settings of ``resource`` beyond the ones it reports (``SEC_SEED_*`` for the seed
    import), as rows of the same table:
    ``settings_metadata(bronze, Shown(bronze, ("seed_archive_dir",)))``."""

    resource: SettingsResource
    names: tuple[str, ...]

    def settings_rows(self) -> list[dict[str, str]]:
        r = self.resource
        return rows(type(r).__name__, r.settings, self.names, r.explicit_settings())


class SettingsResource(dg.ConfigurableResource):
    """``self.settings``: the resource's own fields over the environment's ``SEC_*``."""

    _settings: SecSettings | None = PrivateAttr(default=None)
    #: The settings this resource reports at the start of a run.
    REPORTED: ClassVar[tuple[str, ...]] = ()
    #: The settings its metadata table shows, when not the reported ones.
    SHOWN: ClassVar[tuple[str, ...]] = ()

    def explicit_settings(self) -> dict[str, Any]:
        """The settings this resource's config sets: its own fields and its nested resources'."""
        explicit: dict[str, Any] = {}
        for name, value in self.model_dump(exclude_none=True).items():
            nested = getattr(self, name)
            if isinstance(nested, SettingsResource):
                explicit.update(nested.explicit_settings())
            else:
                explicit[name] = value
        return explicit

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        skip_collection_at_exit()  # a process that runs steps: its exit skips a full collection
        explicit = self.explicit_settings()
        self._settings = load_settings(**explicit)
        if self.REPORTED and context.log is not None:
            line = describe(self._settings, self.REPORTED, explicit)
            context.log.info(f"{type(self).__name__} settings: {line}")

    @property
    def settings(self) -> SecSettings:
        if self._settings is None:
            self._settings = load_settings(**self.explicit_settings())
        return self._settings

    def settings_rows(self) -> list[dict[str, str]]:
        """One row per reported setting: value (secrets: set/unset), variable, source."""
        names = self.SHOWN or self.REPORTED
        return rows(type(self).__name__, self.settings, names, self.explicit_settings())

    def settings_metadata(self) -> dict[str, dg.TableMetadataValue]:
        """This resource's settings as a materialization metadata table."""
        return settings_metadata(self)


class StorageResource(SettingsResource):
    """The folder everything is stored in: bronze/, state/, warehouse.duckdb, gold/."""

    data_dir: str | None = field("data_dir", "Root of bronze/, state/, warehouse and gold/.")


class StoredResource(SettingsResource):
    """A resource whose files live under the nested :class:`StorageResource`'s ``data_dir``
    (a default one, reading ``$SEC_DATA_DIR``, when none is given)."""

    storage: StorageResource = Field(default_factory=StorageResource)

    def __init__(self, **data: Any) -> None:
        # Dagster passes None for a nested resource left out instead of using its default.
        data.setdefault("storage", StorageResource())
        super().__init__(**data)

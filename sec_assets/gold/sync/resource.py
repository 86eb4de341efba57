"""The dashboard sink as a Dagster resource: Supabase when configured, else JSON files.

Unset fields are read from the environment (``SUPABASE_URL``, ``SUPABASE_SERVICE_ROLE_KEY``;
``SEC_DATA_DIR`` through the nested storage resource) when the run starts, never at import
time. Pass the key as ``dg.EnvVar("SUPABASE_SERVICE_ROLE_KEY")`` so Dagster shows the
variable's name, not its value.
"""

import logging
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from sec_assets.gold.sync.files import JsonFileSink, dashboard_stats_dir
from sec_assets.gold.sync.publisher import Sink, publish_payloads
from sec_assets.gold.sync.report import PublishReport
from sec_assets.gold.sync.retry import RetryPolicy
from sec_assets.gold.sync.supabase_sink import TABLE, SupabaseSink
from sec_assets.resource_settings import StorageResource, settings_metadata
from sec_assets.settings import SecSettings, load_settings
from sec_assets.settings_report import rows


class DashboardSinkResource(dg.ConfigurableResource):
    """Publishes gold payloads to Supabase ``dashboard_stats`` (or ``gold/dashboard_stats/``)."""

    supabase_url: str | None = Field(
        default=None, description="Supabase project URL (SUPABASE_URL)."
    )
    supabase_service_role_key: str | None = Field(
        default=None,
        repr=False,
        description="Service-role key (SUPABASE_SERVICE_ROLE_KEY); a secret, pass dg.EnvVar.",
    )
    # gold/dashboard_stats/ under its data_dir is the file fallback.
    storage: StorageResource = Field(default_factory=StorageResource)
    max_attempts: int = Field(default=5, ge=1, description="Tries per payload, first included.")
    backoff_initial_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0, description="Also caps Retry-After.")
    timeout_s: float = Field(default=60.0, gt=0, description="Read/write timeout per request.")

    _settings: SecSettings | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        # Dagster passes None for a nested resource left out instead of using its default.
        data.setdefault("storage", StorageResource())
        super().__init__(**data)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._settings = self._load()

    def _load(self) -> SecSettings:
        return load_settings(
            supabase_url=self.supabase_url,
            supabase_service_role_key=self.supabase_service_role_key,
            data_dir=self.storage.data_dir,
        )

    @property
    def settings(self) -> SecSettings:
        if self._settings is None:
            self._settings = self._load()
        return self._settings

    def settings_rows(self) -> list[dict[str, str]]:
        """Where payloads go: URL, key (set/unset) and data_dir, with their sources."""
        explicit = {**self.storage.explicit_settings(), **self.model_dump(exclude_none=True)}
        names = ("supabase_url", "supabase_service_role_key", "data_dir")
        return rows(type(self).__name__, self.settings, names, explicit)

    def settings_metadata(self) -> dict[str, dg.TableMetadataValue]:
        """These settings as a materialization metadata table."""
        return settings_metadata(self)

    def publish(
        self,
        payloads: Mapping[str, Any],
        *,
        logger: logging.Logger | None = None,
        table: str = TABLE,
        prune: bool = False,
    ) -> PublishReport:
        """Upsert (or write) every payload into ``table``; one failure does not stop the others.

        ``payloads`` maps a payload id to JSON-serializable data. With ``prune``, the table's
        rows of other ids are deleted afterwards. Check ``report.failed`` or call
        ``report.raise_for_failures()``.
        """
        log = logger or logging.getLogger("sec_assets.gold.sync")
        sink, key = self._sink(log, table)
        return publish_payloads(payloads, sink, logger=log, secrets=(key,), prune=prune)

    def _sink(self, log: logging.Logger, table: str = TABLE) -> tuple[Sink, str | None]:
        s = self.settings
        url = (s.supabase_url or "").strip() or None
        secret = s.supabase_service_role_key
        key = (secret.get_secret_value().strip() or None) if secret is not None else None
        if url and key:
            retry = RetryPolicy(self.max_attempts, self.backoff_initial_s, self.backoff_max_s)
            sink = SupabaseSink(
                url, key, table=table, retry=retry, timeout_s=self.timeout_s, logger=log
            )
            return sink, key
        if url or key:
            missing = "SUPABASE_SERVICE_ROLE_KEY" if url else "SUPABASE_URL"
            log.warning("dashboard_stats: %s is not set; writing JSON files instead", missing)
        return JsonFileSink(dashboard_stats_dir(s.data_dir, table)), key

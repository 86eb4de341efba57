"""Runtime configuration, read once from the environment into a pydantic-settings object.

Nothing here runs at import time: call :func:`load_settings` where the value is needed (resources
do it in ``setup_for_execution``). Secrets are ``SecretStr`` so they never reach a repr or a log;
:attr:`SecSettings.redactor` masks every one of them by value (``secrets/``), built once per load.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from sec_assets.objects import ObjectLocation
    from sec_assets.secrets.redactor import Redactor

DEFAULT_SEC_BASE_URL = "https://apps.sec.cl/INTONLINEv1/ClientesAfectados"


class SecSettings(BaseSettings):
    """Every knob of the platform; field ``x`` is read from ``SEC_X`` unless aliased."""

    model_config = SettingsConfigDict(env_prefix="SEC_", extra="ignore", populate_by_name=True)

    base_url: str = DEFAULT_SEC_BASE_URL
    http_proxy: SecretStr | None = None
    data_dir: Path = Path("./data")
    # Bronze and the golden files: a local folder (default: under data_dir) or an object-store
    # URL, s3://bucket/prefix (gs://, az:// too), configured by the provider's usual variables
    # (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, …; sec_assets/objects.py).
    bronze_url: str | None = None
    gold_url: str | None = None
    pg_dsn: SecretStr | None = None

    # Politeness and cadence.
    max_concurrency: int = Field(default=4, ge=1, le=64)
    requests_per_second: float = Field(default=2.0, gt=0)
    # The rate is the total of every process sharing the client state (data_dir/state, or
    # state_url); False: each process has its own rate (N parallel runs send N times the rate).
    shared_rate_limit: bool = True
    # Where the rate schedule, the breaker and the month locks live (sec_client/state/):
    # unset: files under data_dir/state (one machine); postgresql://… or redis://…: shared by
    # every machine that names it. A secret (its password).
    state_url: SecretStr | None = None
    # The prefix of every key in a shared store: deployments sharing one apart.
    state_namespace: str = Field(default="sec_assets", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    # Redis: the lease of a month lock, renewed while held; a killed holder's lapses within it.
    state_lock_ttl_s: float = Field(default=30.0, ge=1)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    backoff_initial_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    retry_after_max_s: float = Field(default=300.0, ge=0)
    # Bounds on what one answer can make us do (a storm answer is large and slow, not endless).
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    attempt_deadline_s: float = Field(default=300.0, gt=0)
    progress_interval_s: float = Field(default=30.0, gt=0)  # INFO progress while fetching
    log_requests: bool = False  # one DEBUG line per successful request in the run's log
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_cooldown_s: float = Field(default=1800.0, ge=0)
    # How long a half-open probe's claim holds; None: 2 x read_timeout_s + connect_timeout_s.
    breaker_probe_timeout_s: float | None = Field(default=None, gt=0)
    hours_per_day: int = Field(default=24, ge=1, le=24)
    min_month_coverage: float = Field(default=0.95, ge=0.0, le=1.0)
    # How long a run keeps its idle warehouse connection (warehouse/kept.py); 0: closed after
    # every call.
    warehouse_idle_s: float = Field(default=1.5, ge=0)
    revision_lookback_hours: int = Field(default=48, ge=0)
    revision_min_age_s: float = Field(default=3600.0, ge=0)

    seia_csv: Path | None = None  # SEIA project list export; None = the shipped sample
    # Bronze months kept hot before the current one (bronze/archive.py); validated there.
    archive_after_months: int = 24
    # The folder of the seed's checkpoint_<year>.json (bronze/import_job.py).
    seed_archive_dir: Path | None = None
    # An import with a larger share of unusable points fails (bronze/import_report.py).
    seed_max_rejected_share: float = Field(default=0.05, ge=0.0, le=1.0)

    supabase_url: str | None = Field(default=None, validation_alias="SUPABASE_URL")
    supabase_service_role_key: SecretStr | None = Field(
        default=None, validation_alias="SUPABASE_SERVICE_ROLE_KEY"
    )
    # The Dagster instance's Postgres storage: a secret too (its log must not show it).
    dagster_pg_url: SecretStr | None = Field(default=None, validation_alias="DAGSTER_PG_URL")
    # The object store's keys (read by obstore from the environment): secrets too.
    aws_secret_access_key: SecretStr | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY"
    )
    aws_session_token: SecretStr | None = Field(default=None, validation_alias="AWS_SESSION_TOKEN")
    azure_storage_account_key: SecretStr | None = Field(
        default=None, validation_alias="AZURE_STORAGE_ACCOUNT_KEY"
    )

    _redactor: Redactor | None = PrivateAttr(default=None)

    @field_validator("archive_after_months", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        """An empty variable means the default, as it did when bronze read it directly."""
        return cls.model_fields["archive_after_months"].default if value == "" else value

    @property
    def probe_timeout_s(self) -> float:
        """A probe is one attempt: after it, a killed prober's claim expires."""
        if self.breaker_probe_timeout_s is not None:
            return self.breaker_probe_timeout_s
        return 2 * self.read_timeout_s + self.connect_timeout_s

    @property
    def redactor(self) -> Redactor:
        """Masks every configured secret, in every spelling (``secrets/redactor.py``)."""
        if self._redactor is None:
            from sec_assets.secrets.active import activate
            from sec_assets.secrets.redactor import Redactor
            from sec_assets.secrets.sources import configured_secrets

            secrets = configured_secrets(self)
            activate(secrets)  # for code without settings at hand (secrets/active.py)
            self._redactor = Redactor(secrets)
        return self._redactor

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    @property
    def bronze_root(self) -> Path | ObjectLocation:
        """Where bronze lives: ``SEC_BRONZE_URL`` (a folder or an object-store URL), else
        ``data_dir/bronze``."""
        return _location(self.bronze_url, self.data_dir / "bronze", self.cache_dir)

    @property
    def gold_root(self) -> Path | ObjectLocation:
        """Where the golden files go: ``SEC_GOLD_URL``, else ``data_dir/gold``."""
        return _location(self.gold_url, self.data_dir / "gold", self.cache_dir)

    @property
    def cache_dir(self) -> Path:
        """This machine's copies of objects read or written (objects are never rewritten)."""
        return self.data_dir / "cache"


def _location(url: str | None, default: Path, cache: Path) -> Path | ObjectLocation:
    from sec_assets.objects import ObjectLocation, is_object_url

    if not url:
        return default
    if is_object_url(url):
        return ObjectLocation(url.rstrip("/"), cache)
    return Path(url.removeprefix("file://"))


def load_settings(**overrides: Any) -> SecSettings:
    """Read the environment now; ``overrides`` that are not None win over it. Its secrets are
    collected into its redactor now, once."""
    settings = SecSettings(**{k: v for k, v in overrides.items() if v is not None})
    assert settings.redactor is not None  # built at load: the process knows its secrets
    return settings

"""Where alerts go and when a lag is worth one: ``SEC_ALERT_*``, read when a sensor evaluates.

No channel is configured by default: the sensors then log what they would send. Email goes
through SMTP (STARTTLS by default) and the webhook posts Slack's incoming-webhook JSON. The
SMTP password and the webhook URL (its path is the credential) are ``SecretStr``: they never
reach a repr, a log, a message or the sensors' cursors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    """Field ``x`` is read from ``SEC_ALERT_X``."""

    model_config = SettingsConfigDict(env_prefix="SEC_ALERT_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # starttls: plain connection upgraded by STARTTLS (port 587); ssl: TLS from the first byte
    # (port 465); none: no encryption (a relay on loopback only).
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = None  # a private CA's bundle; the system's CAs otherwise
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    email_from: str | None = None
    email_to: str = ""  # comma-separated addresses

    webhook_url: SecretStr | None = None
    webhook_timeout_s: float = Field(default=10.0, gt=0)

    # The open month's bronze may trail the clock by this many hours before it is an alert.
    bronze_lag_h: float = Field(default=6.0, gt=0)
    # A month still below SEC_MIN_MONTH_COVERAGE after this many finished catch-up runs.
    coverage_after_runs: int = Field(default=3, ge=1)

    @field_validator(
        "smtp_host", "smtp_user", "email_from", "smtp_password", "webhook_url", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.recipients)

    def secrets(self) -> list[str]:
        """The values that must never leave this object: the password, the webhook URL and its
        path and query (the credential of Slack's, Teams' and Discord's hooks)."""
        from urllib.parse import urlsplit

        out: list[str] = []
        if self.smtp_password is not None:
            out.append(self.smtp_password.get_secret_value())
        if self.webhook_url is not None:
            url = self.webhook_url.get_secret_value()
            parts = urlsplit(url)
            out += [url, parts.path, parts.query]
        return [s for s in out if s and s != "/"]


def load_alert_settings() -> AlertSettings:
    return AlertSettings()

"""What a run is really configured with, and where each value comes from.

``describe`` renders the settings that matter to a resource as one INFO line for the start of
every run (``base_url=… [SEC_BASE_URL]``, ``requests_per_second=2.0 [default]``, …); ``field``
gives each resource field a description naming its environment variable and default, which the
UI's resource page shows. Secrets are never rendered: a secret shows as ``set`` or ``unset``,
a URL or DSN without its password.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field, SecretStr

from sec_assets.sec_client.exchange import redact_url
from sec_assets.settings import SecSettings
from sec_assets.warehouse.dsn import redact_dsn


def env_name(name: str) -> str:
    """The environment variable that feeds setting ``name``."""
    alias = SecSettings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else f"SEC_{name.upper()}"


def field(name: str, what: str, **kwargs: Any) -> Any:
    """A resource field that, left unset, takes setting ``name`` from its variable or default;
    its description says which (the UI shows it on the resource page)."""
    default = SecSettings.model_fields[name].default
    shown = "unset" if default is None else str(default)
    return Field(
        default=None, description=f"{what} Unset: ${env_name(name)}, else {shown}.", **kwargs
    )


def _shown(name: str, value: Any) -> str:
    if isinstance(value, SecretStr):
        return "set" if value.get_secret_value() else "unset"
    if value is None:
        return "unset"
    if name == "pg_dsn":
        return redact_dsn(str(value))
    if name.endswith("url"):
        return redact_url(str(value))
    return str(value)


def source(name: str, explicit: Mapping[str, Any]) -> str:
    if name in explicit:
        return "resource config"
    if env_name(name) in os.environ:
        return env_name(name)
    return "default"


def describe(settings: SecSettings, names: Iterable[str], explicit: Mapping[str, Any]) -> str:
    """``name=value [source]`` for each setting, secrets masked (by position, then by value)."""
    line = ", ".join(
        f"{n}={_shown(n, getattr(settings, n))} [{source(n, explicit)}]" for n in names
    )
    return settings.redactor.text(line)


def rows(
    owner: str, settings: SecSettings, names: Iterable[str], explicit: Mapping[str, Any]
) -> list[dict[str, str]]:
    """The same facts as :func:`describe`, one row per setting, for a metadata table."""
    return [
        {
            "resource": owner,
            "setting": n,
            "variable": env_name(n),
            "value": settings.redactor.text(_shown(n, getattr(settings, n))),
            "source": source(n, explicit),
        }
        for n in names
    ]

"""Where the secrets come from: the settings, read once when they load.

The Postgres DSN (``SEC_PG_DSN``), the Dagster instance's ``DAGSTER_PG_URL`` and a Postgres
``SEC_STATE_URL``, each read as libpq reads it and as written (``warehouse/dsn.py``); a Redis
``SEC_STATE_URL``'s password, read as a URL's; the proxy's password and
``user:password`` (``SEC_HTTP_PROXY``, and ``SEC_BASE_URL`` when a relay there takes
credentials), read up to the URL's last ``@``; the Supabase service key
(``SUPABASE_SERVICE_ROLE_KEY``); the object store's keys (``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AZURE_STORAGE_ACCOUNT_KEY``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from sec_assets.warehouse.dsn import dsn_secrets

if TYPE_CHECKING:
    from sec_assets.settings import SecSettings


def url_secrets(url: str) -> list[str]:
    """The password of a URL's ``user:password@`` (raw and decoded) and the pairs."""
    _, sep, rest = url.partition("://")
    userinfo, at, _ = (rest if sep else url).rpartition("@")
    if not at or ":" not in userinfo:
        return []
    user, _, password = userinfo.partition(":")
    if not password:
        return []
    pairs = {f"{user}:{password}", f"{unquote(user)}:{unquote(password)}"}
    return sorted({password, unquote(password), *pairs}, key=lambda s: (-len(s), s))


def configured_secrets(settings: SecSettings) -> list[str]:
    """Every secret the settings hold, longest first."""
    found: set[str] = set(url_secrets(settings.base_url))
    if settings.http_proxy is not None:
        found.update(url_secrets(settings.http_proxy.get_secret_value()))
    for dsn in (settings.pg_dsn, settings.dagster_pg_url):
        if dsn is not None:
            found.update(dsn_secrets(dsn.get_secret_value()))
    if settings.state_url is not None:  # a Postgres DSN or a Redis URL
        state = settings.state_url.get_secret_value()
        found.update(url_secrets(state))
        if not state.lower().startswith(("redis", "unix")):
            found.update(dsn_secrets(state))
    for key in (
        settings.supabase_service_role_key,
        settings.aws_secret_access_key,
        settings.aws_session_token,
        settings.azure_storage_account_key,
    ):
        if key is not None:
            found.add(key.get_secret_value())
    return sorted((s for s in found if s), key=lambda s: (-len(s), s))

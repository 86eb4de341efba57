"""Where the SEC client's politeness lives — the rate schedule, the circuit breaker, the
per-month fetch locks — chosen by ``SEC_STATE_URL``:

- unset: files under ``$SEC_DATA_DIR/state`` (``file_store.py``), shared by the processes of
  one machine: the default;
- ``postgresql://…``: tables and advisory locks in that database
  (``warehouse/client_state.py``: the warehouse package holds every database driver);
- ``redis://…`` or ``rediss://…``: keys in that Redis (``redis_store.py``).

Every machine that calls the SEC must name the same store (and ``SEC_STATE_NAMESPACE``) to
share the rate and the breaker. One store object per process and store, reused by every client.
"""

from __future__ import annotations

import os
import threading

from sec_assets.sec_client.state.base import StateStore, StateStoreError
from sec_assets.sec_client.state.file_store import FileStore
from sec_assets.settings import SecSettings

__all__ = ["StateStore", "StateStoreError", "open_state", "state_kind"]

_SHARED: dict[tuple[int, str, str, float], StateStore] = {}
_GUARD = threading.Lock()


def state_kind(url: str | None) -> str:
    """``file``, ``postgres`` or ``redis`` for a ``SEC_STATE_URL`` value."""
    if not url:
        return "file"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    if scheme in ("redis", "rediss", "unix"):
        return "redis"
    raise StateStoreError(
        f"SEC_STATE_URL must be postgresql://… or redis://… (or unset for files), not {scheme!r}"
    )


def open_state(settings: SecSettings) -> StateStore:
    """The store ``settings`` name; a shared store is opened once per process."""
    url = settings.state_url.get_secret_value() if settings.state_url else None
    kind = state_kind(url)
    if kind == "file" or url is None:
        return FileStore(settings.state_dir)
    key = (os.getpid(), url, settings.state_namespace, settings.state_lock_ttl_s)
    with _GUARD:
        store = _SHARED.get(key)
        if store is None:
            store = _SHARED[key] = _open(kind, url, settings)
        return store


def _open(kind: str, url: str, settings: SecSettings) -> StateStore:
    if kind == "postgres":
        from sec_assets.warehouse.client_state import PostgresStore

        return PostgresStore(
            url, namespace=settings.state_namespace, connect_timeout_s=settings.connect_timeout_s
        )
    from sec_assets.sec_client.state.redis_store import RedisStore

    return RedisStore(
        url,
        namespace=settings.state_namespace,
        lock_ttl_s=settings.state_lock_ttl_s,
        timeout_s=settings.connect_timeout_s,
    )


def close_shared() -> None:
    """Close this process's shared stores (their connections), and forget them."""
    with _GUARD:
        stores = list(_SHARED.values())
        _SHARED.clear()
    for store in stores:
        close = getattr(store, "close", None)
        if close is not None:
            close()

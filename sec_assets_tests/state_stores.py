"""The client state stores the politeness tests run on: files (one machine), a throwaway
Postgres database, and the local Redis under a key prefix of the test's own.

:func:`state_backend` (the ``state_backend`` fixture in ``conftest.py``) sets ``SEC_STATE_URL``
and ``SEC_STATE_NAMESPACE`` for the test and its subprocesses; ``data_dir(i)`` gives process
``i`` its own ``SEC_DATA_DIR`` on a shared store (they share nothing else), the one folder on
files (the only thing files can share).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sec_assets_tests.conftest import pg_throwaway_database

STORES = ["file", "postgres", "redis"]
REDIS_URL = "redis://127.0.0.1:6379/3"


@dataclass
class StateBackend:
    kind: str
    root: Path
    url: str | None = None
    namespace: str = field(default_factory=lambda: f"sec_test_{uuid.uuid4().hex[:12]}")

    @property
    def shared(self) -> bool:
        return self.url is not None

    def env(self) -> dict[str, str]:
        if self.url is None:
            return {}
        return {"SEC_STATE_URL": self.url, "SEC_STATE_NAMESPACE": self.namespace}

    def data_dir(self, i: int = 0) -> Path:
        return self.root / (f"machine{i}" if self.shared else "shared")

    def settings(self, i: int = 0, **over: object):
        from sec_assets.settings import load_settings

        return load_settings(**{"data_dir": self.data_dir(i), **over})

    def store(self, i: int = 0):
        from sec_assets.sec_client.state import open_state

        return open_state(self.settings(i))


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def require_redis(purpose: str) -> None:
    """Redis on 127.0.0.1:6379, or: skipped locally, a failure when ``CI=true`` (CI must test
    the stores and the scale-out on it, as it must test Postgres)."""
    if redis_up():
        return
    reason = f"Redis is not reachable at 127.0.0.1:6379 ({purpose})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the Redis tests must run)")
    pytest.skip(reason)


def forget_redis(prefix: str, url: str = REDIS_URL) -> None:
    """Delete the keys of a namespace (``prefix:*``) from the Redis database at ``url``."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def state_backend(kind: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StateBackend]:
    """Generator: the store ``kind`` set in the environment, then cleaned up."""
    from sec_assets.sec_client.state import close_shared

    if kind == "file":
        yield StateBackend(kind, root)
        return
    if kind == "redis":
        require_redis("the client state store")
        backend = StateBackend(kind, root, REDIS_URL)
        for name, value in backend.env().items():
            monkeypatch.setenv(name, value)
        try:
            yield backend
        finally:
            close_shared()
            forget_redis(backend.namespace)
        return
    for dsn in pg_throwaway_database():
        backend = StateBackend(kind, root, dsn)
        for name, value in backend.env().items():
            monkeypatch.setenv(name, value)
        try:
            yield backend
        finally:
            close_shared()

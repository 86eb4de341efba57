"""Object storage (S3, GCS, Azure) through obstore: the few operations bronze and gold need.

A location is ``s3://bucket/prefix`` (``gs://``, ``az://``, ``abfs://`` too); the provider's
usual variables configure it (``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ALLOW_HTTP`` for a server on loopback …), read by obstore.
Objects are written with a conditional put (``If-None-Match: *``): a key that exists is never
replaced. A PUT is atomic: a reader sees the whole object or none. Errors are
:class:`ObjectStoreError` naming the location and the cause (no credentials: obstore's messages
carry the URL and the status, never the keys).
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import threading
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from obstore.store import ObjectStore

SCHEMES = ("s3://", "s3a://", "gs://", "az://", "abfs://", "abfss://", "azure://")
#: Requests in flight when many objects are read or written at once.
CONCURRENCY = 64
_T = TypeVar("_T")


class ObjectStoreError(OSError):
    """An object-store operation failed: the location, the operation and the cause."""


def is_object_url(value: str | object) -> bool:
    return isinstance(value, str) and value.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class ObjectLocation:
    """An object-store URL and the local folder that keeps this machine's copies of its
    objects (a copy is never stale: an object is never rewritten)."""

    url: str
    cache_root: Path | None = None

    def __str__(self) -> str:
        return self.url

    @property
    def cache(self) -> Path:
        """This location's own folder of copies (one per URL under ``cache_root``)."""
        base = self.cache_root or Path(tempfile.gettempdir()) / "sec_assets_cache"
        return base / hashlib.sha256(self.url.encode()).hexdigest()[:16]

    def url_of(self, key: str) -> str:
        return f"{self.url}/{key}"


@cache
def object_store(url: str) -> ObjectStore:
    """One client per location and process (its connection pool is reused); object_store's
    own timeouts (5 s to connect, 30 s a request): obstore 0.12 refuses every request when a
    timeout is set in ``client_options`` (imported here: loading the definitions does not)."""
    from obstore.store import from_url

    return from_url(
        url,
        retry_config={
            "max_retries": 4,
            "retry_timeout": timedelta(seconds=30),
            "backoff": {"init_backoff": timedelta(milliseconds=100), "base": 2},
        },
    )


def _failed(url: str, what: str, exc: Exception) -> ObjectStoreError:
    cause = " ".join(str(exc).split())[:400]
    return ObjectStoreError(f"{url}: {what} failed: {type(exc).__name__}: {cause}")


def put_new(url: str, key: str, data: bytes) -> bool:
    """Store ``data`` at ``key`` unless the key exists (then nothing is written): True when
    this call created it."""
    import obstore
    from obstore.exceptions import AlreadyExistsError

    try:
        obstore.put(object_store(url), key, data, mode="create")
    except AlreadyExistsError:
        return False
    except Exception as exc:
        raise _failed(url, f"writing {key}", exc) from exc
    return True


def put(url: str, key: str, data: bytes) -> None:
    """Store ``data`` at ``key``, replacing what is there (derived files only: gold)."""
    import obstore

    try:
        obstore.put(object_store(url), key, data)
    except Exception as exc:
        raise _failed(url, f"writing {key}", exc) from exc


def list_sizes(url: str, prefix: str) -> dict[str, int]:
    """Every key under ``prefix`` (``a/b/``) with its size."""
    import obstore

    try:
        return {
            str(meta["path"]): int(meta["size"])
            for batch in obstore.list(object_store(url), prefix=prefix, chunk_size=1000)
            for meta in batch
        }
    except Exception as exc:
        raise _failed(url, f"listing {prefix}", exc) from exc


def list_folders(url: str, prefix: str) -> list[str]:
    """The names one level below ``prefix`` (``a/`` → ``b`` for ``a/b/…``)."""
    import obstore

    try:
        found = obstore.list_with_delimiter(object_store(url), prefix=prefix)
    except Exception as exc:
        raise _failed(url, f"listing {prefix}", exc) from exc
    return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in found["common_prefixes"])


def get(url: str, key: str) -> bytes:
    import obstore

    try:
        return bytes(obstore.get(object_store(url), key).bytes())
    except Exception as exc:
        raise _failed(url, f"reading {key}", exc) from exc


def get_many(url: str, keys: Iterable[str]) -> dict[str, bytes]:
    """The bytes of every key, read concurrently (:data:`CONCURRENCY` at a time)."""
    import obstore

    store = object_store(url)
    gate: asyncio.Semaphore | None = None

    async def one(key: str) -> tuple[str, bytes]:
        assert gate is not None
        async with gate:
            result = await obstore.get_async(store, key)
            return key, bytes(await result.bytes_async())

    async def every(todo: list[str]) -> dict[str, bytes]:
        nonlocal gate
        gate = asyncio.Semaphore(CONCURRENCY)
        return dict(await asyncio.gather(*(one(k) for k in todo)))

    todo = list(keys)
    if not todo:
        return {}
    try:
        return _run(every(todo))
    except Exception as exc:
        raise _failed(url, f"reading {len(todo)} objects", exc) from exc


def put_many_new(url: str, items: dict[str, bytes]) -> dict[str, bool]:
    """:func:`put_new` for every item, concurrently; per key, whether this call created it."""
    import obstore
    from obstore.exceptions import AlreadyExistsError

    store = object_store(url)
    gate: asyncio.Semaphore | None = None

    async def one(key: str, data: bytes) -> tuple[str, bool]:
        assert gate is not None
        async with gate:
            try:
                await obstore.put_async(store, key, data, mode="create")
            except AlreadyExistsError:
                return key, False
            return key, True

    async def every() -> dict[str, bool]:
        nonlocal gate
        gate = asyncio.Semaphore(CONCURRENCY)
        return dict(await asyncio.gather(*(one(k, v) for k, v in items.items())))

    if not items:
        return {}
    try:
        return _run(every())
    except Exception as exc:
        raise _failed(url, f"writing {len(items)} objects", exc) from exc


def delete_many(url: str, keys: Iterable[str]) -> None:
    import obstore

    todo = list(keys)
    try:
        for start in range(0, len(todo), 1000):
            obstore.delete(object_store(url), todo[start : start + 1000])
    except Exception as exc:
        raise _failed(url, f"deleting {len(todo)} objects", exc) from exc


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to its end, also from code that is itself inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="sec-objects")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]

"""The client state in Redis (``SEC_STATE_URL=redis://…``), shared by every machine.

Keys start with ``SEC_STATE_NAMESPACE`` (``sec_assets:rate``, ``sec_assets:breaker``,
``sec_assets:lock:<name>``):

- the rate schedule: a hash (``tat``, ``written_at``) that one Lua script reads, steps and
  writes atomically, on the server's clock (``TIME``), returning the slot and the time;
- the breaker's record: a hash, one JSON value per field; a change holds a short lease
  (``SET NX PX``) and is written by a script only while that lease is still ours;
- named locks: ``SET NX PX`` with a lease of ``SEC_STATE_LOCK_TTL_S`` renewed by a thread
  while the block runs, its value a fencing number (``INCR``) and a random token; renewal and
  release are scripts that act only while the value is still ours. A killed process stops
  renewing: its lock lapses within the lease.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis

from sec_assets.cleartext import scheme_of, sends_credentials_in_clear
from sec_assets.files import backoff_until
from sec_assets.sec_client.exchange import redact_url
from sec_assets.sec_client.state.base import CLOCK_SLACK_S, Reservation, StateStoreError
from sec_assets.secrets.redactor import Redactor
from sec_assets.secrets.sources import url_secrets

log = logging.getLogger(__name__)

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, tau, slack = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rec = redis.call('HMGET', KEYS[1], 'tat', 'written_at')
local tat, written = tonumber(rec[1]), tonumber(rec[2])
local start = now
if tat and written and tat == tat and written == written and now >= written - slack then
  start = math.max(tat, now)
end
local slot = math.max(now, start - tau)
redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', start + interval),
           'written_at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.floor((start + interval - now) * 1000) + 3600000)
return {string.format('%.6f', slot), string.format('%.6f', now)}
"""
_SAVE_IF_OURS = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
_RENEW_IF_OURS = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""
BREAKER_LEASE_MS = 10_000  # a read-modify-write of the breaker takes milliseconds


class RedisStore:
    kind = "redis"

    def __init__(
        self, url: str, *, namespace: str, lock_ttl_s: float = 30.0, timeout_s: float = 10.0
    ) -> None:
        self.namespace = namespace
        self.lock_ttl_ms = max(int(lock_ttl_s * 1000), 100)
        self.where = f"Redis {redact_url(url)} (namespace {namespace})"
        self._redactor = Redactor(url_secrets(url))
        if scheme_of(url) != "rediss" and sends_credentials_in_clear(url):
            log.warning(
                "SEC_STATE_URL sends its password without TLS to another host: use rediss:// "
                "or a Redis on a loopback address"
            )
        self.client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._reserve = self.client.register_script(_RESERVE)
        self._save = self.client.register_script(_SAVE_IF_OURS)
        self._renew = self.client.register_script(_RENEW_IF_OURS)
        self._release = self.client.register_script(_RELEASE_IF_OURS)
        self._breaker = RedisBreakerCell(self)

    def key(self, what: str) -> str:
        return f"{self.namespace}:{what}"

    def call(self, work: Callable[[], Any]) -> Any:
        """``work()``, its Redis errors as :class:`StateStoreError` without secrets."""
        try:
            return work()
        except redis.RedisError as exc:
            text = self._redactor.text(f"{type(exc).__name__}: {' '.join(str(exc).split())}")
            raise StateStoreError(f"client state store, {self.where}: {text}") from None

    def close(self) -> None:
        self.client.close()

    # -- leases ------------------------------------------------------------------------------
    def take(self, key: str, ttl_ms: int, *, on_wait: Callable[[], None] | None = None) -> str:
        """Wait for the lease ``key`` and take it; returns its value (fencing number:token)."""
        token = f"{self.call(lambda: self.client.incr(self.key('fence')))}:{uuid.uuid4().hex}"

        def taken() -> bool:
            return bool(self.call(lambda: self.client.set(key, token, nx=True, px=ttl_ms)))

        if taken():
            return token
        if on_wait is not None:
            on_wait()
        while True:
            for _ in backoff_until(time.monotonic() + 3600):
                if taken():
                    return token

    def give_back(self, key: str, token: str) -> bool:
        return bool(self.call(lambda: self._release(keys=[key], args=[token])))

    # -- the three kinds of state ------------------------------------------------------------
    def schedule(self, *, clock: Callable[[], float] | None = None) -> RedisSchedule:
        return RedisSchedule(self)

    def breaker(self) -> RedisBreakerCell:
        return self._breaker

    @contextmanager
    def lock(self, name: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        key = self.key(f"lock:{name}")
        token = self.take(key, self.lock_ttl_ms, on_wait=on_wait)
        stop = threading.Event()
        lost: list[bool] = []

        def renew() -> None:
            while not stop.wait(self.lock_ttl_ms / 3000):
                try:
                    ours = self._renew(keys=[key], args=[token, self.lock_ttl_ms])
                except redis.RedisError:
                    continue  # a blip: the next renewal may still be in time
                if not ours:
                    lost.append(True)
                    return

        keeper = threading.Thread(target=renew, name=f"lease {name}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            if not self.give_back(key, token) or lost:
                log.warning(
                    f"the lock {name} in {self.where} lapsed while held (no renewal within "
                    f"{self.lock_ttl_ms / 1000:.0f} s): another process may have taken it"
                )


class RedisSchedule:
    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.where = store.where
        self._key = store.key("rate")

    def reserve(self, interval: float, tau: float, *, blocking: bool) -> Reservation | None:
        if not blocking:
            return None  # a network round trip: made in a worker thread, off the event loop
        args = [repr(interval), repr(tau), repr(CLOCK_SLACK_S)]
        slot, now = self.store.call(lambda: self.store._reserve(keys=[self._key], args=args))
        return Reservation(float(slot), float(now))


class _RedisHold:
    def __init__(self, cell: RedisBreakerCell, token: str) -> None:
        self.cell, self.token = cell, token

    def load(self) -> dict[str, Any] | None:
        return self.cell.load()

    def save(self, record: dict[str, Any]) -> None:
        cell, store = self.cell, self.cell.store
        args = [self.token, *(x for k, v in record.items() for x in (k, json.dumps(v)))]
        keys = [cell.key, cell.lease]
        if not store.call(lambda: store._save(keys=keys, args=args)):
            raise StateStoreError(f"the breaker's lease in {store.where} lapsed before its write")


class RedisBreakerCell:
    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.where = store.where
        self.key = store.key("breaker")
        self.lease = store.key("breaker:lease")

    def load(self) -> dict[str, Any] | None:
        raw = self.store.call(lambda: self.store.client.hgetall(self.key))
        try:
            return {k: json.loads(v) for k, v in raw.items()} if raw else None
        except ValueError:
            return None

    @contextmanager
    def hold(self) -> Iterator[_RedisHold]:
        token = self.store.take(self.lease, BREAKER_LEASE_MS)
        try:
            yield _RedisHold(self, token)
        finally:
            self.store.give_back(self.lease, token)

"""The SEC client's politeness on each client state store — files, Postgres, Redis.

Per store: the cost of one ``acquire`` when nothing waits (a rate far above what is asked: the
store's round trip alone, through the worker thread for Postgres and Redis), and the rate three
processes achieve together against the configured total, each process with its own
``SEC_DATA_DIR`` on a shared store (the one folder on files). Sends are the limiter's own
``acquire`` returns; no HTTP.

    python -m sec_tools.bench.politeness      # alone (Postgres and Redis on 127.0.0.1)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SEC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
RATE = 20.0  # requests per second, the total configured
PROCESSES = 3
PER_PROCESS = 30
ACQUIRES = 400


def _limiter(rate: float) -> Any:
    from sec_assets.sec_client.shared_limit import SharedRateLimiter
    from sec_assets.sec_client.state import open_state
    from sec_assets.settings import load_settings

    return SharedRateLimiter(open_state(load_settings()).schedule(), rate)


def _worker(rate: float, n: int, go: Path) -> None:
    """One process: wait for ``go``, then ``n`` acquires at once; print each send time."""
    lim = _limiter(rate)
    lim.reserve()  # connect before the start (not counted)
    while not go.exists():
        time.sleep(0.002)

    async def main() -> list[float]:
        async def one() -> float:
            await lim.acquire()
            return time.time()

        return await asyncio.gather(*(one() for _ in range(n)))

    print(json.dumps(asyncio.run(main())))


def _acquire_cost() -> dict[str, float]:
    """Microseconds per ``acquire`` that does not sleep, one after the other; and per bare
    reservation (the store's round trip, without the worker thread)."""
    lim = _limiter(1e6)
    lim.reserve()

    async def run() -> list[float]:
        took = []
        for _ in range(ACQUIRES):
            t0 = time.perf_counter()
            await lim.acquire()
            took.append((time.perf_counter() - t0) * 1e6)
        return took

    took = asyncio.run(run())
    bare = []
    for _ in range(ACQUIRES):
        t0 = time.perf_counter()
        lim.reserve()
        bare.append((time.perf_counter() - t0) * 1e6)
    return {
        "median_us": round(statistics.median(took)),
        "p90_us": round(_p90(took)),
        "reserve_median_us": round(statistics.median(bare)),
    }


def _p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9)]


def _busiest(stamps: list[float], window_s: float = 1.0) -> int:
    stamps = sorted(stamps)
    best, j = 0, 0
    for i, start in enumerate(stamps):
        j = max(j, i)
        while j < len(stamps) and stamps[j] < start + window_s:
            j += 1
        best = max(best, j - i)
    return best


def _env(store_env: dict[str, str], data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEC_")}
    return {**env, **store_env, "SEC_DATA_DIR": str(data)}


def _one_store(kind: str, store_env: dict[str, str], root: Path) -> dict[str, Any]:
    shared = bool(store_env)
    root.mkdir(parents=True, exist_ok=True)
    cost = subprocess.run(
        [sys.executable, "-m", "sec_tools.bench.politeness", "--cost"],
        env=_env(store_env, root / "cost"),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    go = root / f"go-{kind}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "sec_tools.bench.politeness", "--worker", str(go)],
            env=_env(store_env, root / (f"machine{i}" if shared else "shared")),
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    time.sleep(3.0)  # interpreters started and connected
    go.touch()
    sends: list[float] = []
    for w in workers:
        out, _ = w.communicate(timeout=120)
        if w.returncode != 0:
            raise RuntimeError(f"politeness worker on {kind} failed")
        sends += json.loads(out.strip().splitlines()[-1])
    sends.sort()
    span = sends[-1] - sends[0]
    return {
        "store": kind,
        "processes": PROCESSES,
        "requests": len(sends),
        "configured_per_s": RATE,
        "achieved_per_s": round((len(sends) - 1) / span, 2),
        "busiest_1s": _busiest(sends),
        **json.loads(cost.stdout.strip().splitlines()[-1]),
    }


def _forget_redis(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def bench_politeness(pg_dsn: str | None) -> list[dict[str, Any]]:
    """One row per store reachable: files always, Postgres at ``pg_dsn``, Redis at
    ``SEC_BENCH_REDIS_URL``."""
    import redis

    namespace = f"sec_bench_{uuid.uuid4().hex[:8]}"
    stores: list[tuple[str, dict[str, str]]] = [("file", {})]
    if pg_dsn:
        stores.append(("postgres", {"SEC_STATE_URL": pg_dsn, "SEC_STATE_NAMESPACE": namespace}))
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        stores.append(("redis", {"SEC_STATE_URL": REDIS_URL, "SEC_STATE_NAMESPACE": namespace}))
    except redis.RedisError:
        print(f"Redis not reachable at {REDIS_URL}, skipping its figures")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sec_politeness_") as tmp:
        try:
            for kind, env in stores:
                rows.append(_one_store(kind, env, Path(tmp) / kind))
        finally:
            if any(kind == "redis" for kind, _ in stores):
                _forget_redis(namespace)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "## Politeness on each client state store",
        "",
        f"{PROCESSES} processes share a total of {RATE:g} requests/s ({PER_PROCESS} requests "
        "each, all at once); each has its own SEC_DATA_DIR on Postgres and Redis. Cost: one "
        "`acquire` that does not sleep (for Postgres and Redis through a worker thread), and "
        "one bare reservation (the store's round trip).",
        "",
        "| store | requests | configured /s | achieved /s | busiest 1-s window | acquire median | "
        "acquire p90 | bare reservation median |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['store']} | {r['requests']} | {r['configured_per_s']:g} | {r['achieved_per_s']} "
        f"| {r['busiest_1s']} | {r['median_us']} µs | {r['p90_us']} µs "
        f"| {r['reserve_median_us']} µs |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        _worker(RATE, PER_PROCESS, Path(argv[1]))
        return 0
    if argv[:1] == ["--cost"]:
        print(json.dumps(_acquire_cost()))
        return 0
    from sec_tools.bench.__main__ import throwaway_pg

    with throwaway_pg() as dsn:
        rows = bench_politeness(dsn)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The SEC client's politeness on every state store — files, Postgres, Redis — by the same
tests: GCRA slots spaced by the interval; N processes holding their total to the rate; the
breaker's rules and its state outliving the process; one holder of a month lock at a time,
released when its holder is killed. On Postgres and Redis each process has its own
SEC_DATA_DIR: they share nothing but the store (``state_stores.py``)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sec_assets.sec_client.breaker import BreakerState, CircuitBreaker
from sec_assets.sec_client.shared_limit import SharedRateLimiter
from sec_assets_tests.state_stores import StateBackend

REPO = Path(__file__).resolve().parents[2]


def env_of(backend: StateBackend, i: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEC_")}
    return {**env, **backend.env(), "SEC_DATA_DIR": str(backend.data_dir(i)), **extra}


# -- the rate schedule ---------------------------------------------------------------------------
def test_slots_are_spaced_by_the_interval_and_idle_time_is_not_banked(
    state_backend: StateBackend,
) -> None:
    """(Reservations do not sleep: four take far less than the half-second interval.)"""
    lim = SharedRateLimiter(state_backend.store().schedule(), 2)
    slots = [lim.reserve() for _ in range(4)]
    gaps = [b - a for a, b in itertools.pairwise(slots)]  # type: ignore[operator]
    assert gaps == pytest.approx([0.5, 0.5, 0.5], abs=1e-5)
    time.sleep(2.5)  # idle past the schedule: the next request goes now, and only it
    first, second = lim.reserve(), lim.reserve()
    assert first is not None and second is not None
    assert abs(first - time.time()) < 0.5  # now (the store's clock: this machine's)
    assert second - first == pytest.approx(0.5, abs=1e-5)


def test_burst_lets_that_many_go_at_once_then_spaces(state_backend: StateBackend) -> None:
    lim = SharedRateLimiter(state_backend.store().schedule(), 1, burst=3)
    slots = [lim.reserve() for _ in range(5)]
    t0 = slots[0]
    assert t0 is not None
    offsets = [s - t0 for s in slots]  # type: ignore[operator]
    # The three at once are each reserved at their own "now", a few ms apart.
    assert offsets == pytest.approx([0, 0, 0, 1, 2], abs=0.5)
    assert offsets[4] - offsets[3] == pytest.approx(1.0, abs=1e-5)


def test_limiters_of_one_store_share_one_schedule(state_backend: StateBackend) -> None:
    """Two processes' limiters (two data folders on a shared store) share the schedule."""
    a = SharedRateLimiter(state_backend.store(0).schedule(), 1)
    b = SharedRateLimiter(state_backend.store(1).schedule(), 1)
    slots = [a.reserve(), b.reserve(), a.reserve(), b.reserve()]
    gaps = [y - x for x, y in itertools.pairwise(slots)]  # type: ignore[operator]
    assert gaps == pytest.approx([1.0] * 3, abs=1e-5)


def test_another_namespace_is_another_schedule(state_backend: StateBackend) -> None:
    from sec_assets.sec_client.state import open_state

    mine = SharedRateLimiter(state_backend.store().schedule(), 1)
    mine.reserve()  # the next slot of this namespace is a second away
    if state_backend.shared:
        other_settings = state_backend.settings(state_namespace=f"{state_backend.namespace}x")
    else:
        other_settings = state_backend.settings(data_dir=state_backend.root / "elsewhere")
    other = SharedRateLimiter(open_state(other_settings).schedule(), 1)
    slot = other.reserve()
    assert slot is not None and abs(slot - time.time()) < 0.25
    if state_backend.kind == "redis":
        from sec_assets_tests.state_stores import forget_redis

        forget_redis(f"{state_backend.namespace}x")


WORKER = """
import asyncio, sys, time
from pathlib import Path
from sec_assets.sec_client.shared_limit import SharedRateLimiter
from sec_assets.sec_client.state import open_state
from sec_assets.settings import load_settings

rate, n, go = float(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
lim = SharedRateLimiter(open_state(load_settings()).schedule(), rate)
lim.reserve()  # connect (and create the schema) before the start
while not go.exists():
    time.sleep(0.002)

async def main():
    async def one():
        slot = await lim.acquire()
        print(repr(slot), repr(time.time()), flush=True)
    await asyncio.gather(*(one() for _ in range(n)))

asyncio.run(main())
"""


def test_processes_share_the_rate(state_backend: StateBackend, tmp_path: Path) -> None:
    """Three processes, each wanting 25 requests at once, share 50 requests per second (each
    with its own SEC_DATA_DIR on a shared store). The slots reserved across them are spaced by
    the interval, so the last send comes ~1.5 s after the first slot (0.5 s with three private
    limits). A send is never earlier than its slot, only later; a half-second window of slots
    holds at most 25 of them. (One reservation per process before the start; the first slot
    after it waits for that one's interval.)"""
    rate, per_process, procs = 50.0, 25, 3
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), str(rate), str(per_process), str(go)],
            cwd=REPO,
            env=env_of(state_backend, i),
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(procs)
    ]
    time.sleep(2.0)  # let the interpreters start and connect
    go.touch()
    pairs: list[tuple[float, float]] = []
    for w in workers:
        out, _ = w.communicate(timeout=60)
        assert w.returncode == 0
        pairs += [(float(a), float(b)) for a, b in (line.split() for line in out.splitlines())]
    assert len(pairs) == procs * per_process
    slots = sorted(slot for slot, _ in pairs)
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 / rate - 1e-5
    assert all(sent >= slot - 2e-3 for slot, sent in pairs)  # (store's clock vs ours)
    # The last send waits for the last slot, a whole schedule after the first slot (the first
    # send itself may be late: a span of sends alone can be shorter than the schedule's).
    assert max(sent for _, sent in pairs) - slots[0] >= (len(slots) - 1) / rate - 0.01
    window = 0.5
    busiest = max(sum(1 for t in slots[i:] if t < s + window) for i, s in enumerate(slots))
    assert busiest <= rate * window + 1


# -- the breaker ---------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def breaker_on(backend: StateBackend, clock: Clock, i: int = 0) -> CircuitBreaker:
    return CircuitBreaker(
        backend.store(i).breaker(), failure_threshold=5, cooldown_s=1800, clock=clock
    )


def test_the_breaker_opens_half_opens_and_lets_one_probe(state_backend: StateBackend) -> None:
    clock = Clock()
    b = breaker_on(state_backend, clock)
    other = breaker_on(state_backend, clock, 1)  # another machine's view of the same store
    for _ in range(4):
        b.record_failure("http_503", "GetPorFecha")
        assert other.state is BreakerState.CLOSED and other.allow_request()
    other.record_failure("http_503", "GetPorFecha")
    assert b.state is BreakerState.OPEN and not b.allow_request("GetPorFecha")
    clock.now += 1800
    assert other.state is BreakerState.HALF_OPEN
    assert not b.allow_request("GetHoraServer")  # only the endpoint that tripped it probes
    assert b.allow_request("GetPorFecha")  # the probe
    assert not other.allow_request("GetPorFecha")  # everyone else waits for its verdict
    assert other.probe_in_flight()
    b.record_failure("still down", "GetPorFecha")
    assert other.state is BreakerState.OPEN
    clock.now += 1800
    assert other.allow_request("GetPorFecha")
    other.record_success("GetPorFecha")
    assert b.state is BreakerState.CLOSED and b.snapshot()["consecutive_failures"] == 0


def test_the_breaker_outlives_the_process(state_backend: StateBackend) -> None:
    script = (
        "from sec_assets.sec_client.resource import SecClientResource\n"
        "b = SecClientResource().breaker()\n"
        "[b.record_failure('http_503 from another process', 'GetPorFecha') for _ in range(5)]\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], check=True, cwd=REPO, env=env_of(state_backend, 1)
    )
    fresh = CircuitBreaker(state_backend.store(0).breaker(), cooldown_s=1800)
    assert fresh.state is BreakerState.OPEN and not fresh.allow_request()
    assert "another process" in str(fresh.snapshot()["last_error"])
    assert state_backend.shared or fresh.path is not None


def test_the_reset_verb_resets_the_store_it_names(state_backend: StateBackend) -> None:
    breaker = CircuitBreaker(state_backend.store(0).breaker())
    for _ in range(5):
        breaker.record_failure("http_404: GetPorFecha", "GetPorFecha")
    done = subprocess.run(
        [sys.executable, "-m", "sec_assets", "reset-breaker"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env_of(state_backend, 1),
    )
    assert done.returncode == 0, done.stderr
    assert "before: SEC circuit breaker is OPEN" in done.stdout
    assert breaker.state is BreakerState.CLOSED
    where = {"file": "state file", "postgres": "Postgres 127.0.0.1", "redis": "Redis redis://"}
    assert where[state_backend.kind] in done.stdout  # which state it reset


# -- month locks ---------------------------------------------------------------------------------
HOLDER = """
import sys, time
from sec_assets.bronze.month_lock import month_lock
from sec_assets.sec_client.state import open_state
from sec_assets.settings import load_settings

with month_lock(open_state(load_settings()), "sec_snapshots", "2024-08"):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
print("released", flush=True)
"""


def _hold(backend: StateBackend, i: int, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(seconds)],
        cwd=REPO,
        env=env_of(backend, i, SEC_STATE_LOCK_TTL_S="2"),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def _take(backend: StateBackend) -> tuple[bool, float]:
    """Take the month's lock here; (whether it had to wait, when it got it)."""
    from sec_assets.bronze.month_lock import month_lock

    with month_lock(backend.store(0), "sec_snapshots", "2024-08") as waited:
        return waited, time.monotonic()


def test_a_month_lock_has_one_holder_at_a_time(state_backend: StateBackend) -> None:
    holder = _hold(state_backend, 1, 1.5)
    started = time.monotonic()
    waited, got = _take(state_backend)
    out, _ = holder.communicate(timeout=60)
    assert waited and out.strip() == "released"
    assert got - started >= 1.0  # not before the other process let go


def test_a_killed_holder_releases_the_month_lock(state_backend: StateBackend) -> None:
    """Files and Postgres: at once (the kernel, the server end the holder's lock with it);
    Redis: once its lease (SEC_STATE_LOCK_TTL_S, 2 s here) lapses unrenewed."""
    holder = _hold(state_backend, 1, 600)
    time.sleep(3)  # the lease has been renewed past its first term
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    killed = time.monotonic()
    waited, got = _take(state_backend)
    assert got - killed < (5.0 if state_backend.kind == "redis" else 1.5)
    assert waited == (state_backend.kind == "redis")


# -- the setting is a secret ---------------------------------------------------------------------
PASSWORD = "state-pw-Qv93x"


@pytest.mark.postgres
def test_the_state_url_is_a_secret(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown as set/unset in the settings table and the run's first line, masked by value
    everywhere else; a store that refuses the password says so without it."""
    from sec_assets.sec_client.resource import SecClientResource
    from sec_assets.sec_client.state import StateStoreError, close_shared, open_state
    from sec_assets.settings import load_settings

    # The local server trusts loopback: a DSN password is accepted and ignored.
    monkeypatch.setenv("SEC_STATE_URL", pg_database.replace("postgres@", f"postgres:{PASSWORD}@"))
    resource = SecClientResource()
    [row] = [r for r in resource.settings_rows() if r["setting"] == "state_url"]
    assert (row["variable"], row["value"], row["source"]) == (
        "SEC_STATE_URL",
        "set",
        "SEC_STATE_URL",
    )
    settings = resource.settings
    assert PASSWORD not in repr(settings) and PASSWORD not in resource.state().where
    assert settings.redactor.text(f"x {PASSWORD} y") == "x *** y"
    breaker = resource.breaker()
    breaker.record_failure("http_503", "GetPorFecha")
    assert PASSWORD not in breaker.describe()

    # Redis here has no user "nobody": it refuses the login, and the error does not show it.
    redis_url = f"redis://nobody:{PASSWORD}@127.0.0.1:6379/3"
    store = open_state(load_settings(state_url=redis_url, state_namespace="sec_test_secret"))
    assert PASSWORD not in store.where
    with pytest.raises(StateStoreError) as refused:
        store.schedule().reserve(1.0, 0.0, blocking=True)
    assert PASSWORD not in str(refused.value) and "Redis" in str(refused.value)
    close_shared()


# -- the operator's side: the alert sensor, the reset job, automation's skip ---------------------
def test_the_sensor_and_the_job_read_the_store(
    state_backend: StateBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Machine 1 opens the breaker; on machine 0 (its own data folder on a shared store) the
    breaker alert sensor alerts, automation skips, the code location's ``reset_sec_breaker``
    job closes it, and the sensor resolves the alert."""
    import dagster as dg

    from sec_assets.automation.alerts import build_breaker_alerts_sensor
    from sec_assets.automation.breaker_skip import breaker_skip_reason
    from sec_assets.definitions import defs
    from sec_assets.resources import local_resources
    from sec_assets_tests.alert_receivers import SensorTicks, channels_on, received

    monkeypatch.setenv("SEC_DATA_DIR", str(state_backend.data_dir(0)))
    elsewhere = CircuitBreaker(state_backend.store(1).breaker())
    for _ in range(5):
        elsewhere.record_failure("http_503: GetPorFecha", "GetPorFecha")
    resources = local_resources(state_backend.data_dir(0))
    skip = breaker_skip_reason(resources["sec_client"], "2024-08 not requested")
    assert skip is not None and "OPEN" in skip
    with channels_on(tmp_path, monkeypatch) as (smtp, hook), dg.instance_for_test() as instance:
        sensor = SensorTicks(build_breaker_alerts_sensor(), instance, resources)
        sensor()
        job = defs.resolve_job_def("reset_sec_breaker")
        assert job.execute_in_process(instance=instance).success
        sensor()
        subjects = received(smtp, hook)
    assert [s.split(":")[0] for s in subjects] == ["[sec_assets] ALERT", "[sec_assets] RESOLVED"]
    assert elsewhere.state is BreakerState.CLOSED
    assert breaker_skip_reason(resources["sec_client"], "2024-08 not requested") is None


@pytest.mark.parametrize(
    "url", ["postgresql://sec:pw-Lk42x@127.0.0.1:1/sec", "redis://:pw-Lk42x@127.0.0.1:1/0"]
)
def test_an_unreachable_store_sends_nothing_and_charges_no_breaker(sim, url: str) -> None:
    """The store is down: each request ends as an error of ours naming the store (never its
    password); the SEC sees no request."""
    import asyncio
    from datetime import date

    from sec_assets.month import LocalHour
    from sec_assets.sec_client.client import SecClient
    from sec_assets.sec_client.errors import SecInternalError
    from sec_assets.sec_client.state import close_shared
    from sec_assets_tests.conftest import fast_settings

    settings = fast_settings(sim.base_url, state_url=url, connect_timeout_s=2)
    local = CircuitBreaker(settings.state_dir / "sec_breaker.json")  # the client's own breaker

    async def run():
        async with SecClient(settings, local) as client:
            return await client.fetch_snapshot(LocalHour(date(2024, 8, 2), 3))

    try:
        result = asyncio.run(run())
    finally:
        close_shared()
    assert isinstance(result.error, SecInternalError) and result.attempts == []
    message = str(result.error)
    assert "127.0.0.1:1" in message and "pw-Lk42x" not in message
    assert sim.request_log() == [] and local.state is BreakerState.CLOSED


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("postgresql://sec:pw-Tq77z@db.example.org:5432/sec", True),
        ("postgresql://sec:pw-Tq77z@db.example.org:5432/sec?sslmode=require", False),
        ("postgresql://sec:pw-Tq77z@127.0.0.1:5432/sec", False),
        ("redis://:pw-Tq77z@redis.example.org:6379/2", True),
        ("rediss://:pw-Tq77z@redis.example.org:6379/2", False),
        ("redis://:pw-Tq77z@127.0.0.1:6379/2", False),
    ],
)
def test_a_password_sent_without_tls_is_warned_about(
    url: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Opening the store connects to nothing yet; its password's way is judged at once."""
    from sec_assets.sec_client.state import close_shared, open_state
    from sec_assets.settings import load_settings

    with caplog.at_level("WARNING"):
        store = open_state(load_settings(state_url=url, state_namespace="sec_test_tls"))
    close_shared()
    lines = [r.getMessage() for r in caplog.records if "without TLS" in r.getMessage()]
    assert bool(lines) == warned
    assert not any("pw-Tq77z" in line for line in lines) and "pw-Tq77z" not in store.where


def _corrupt(backend: StateBackend) -> None:
    """Spoil the stored schedule and breaker as a foreign writer or a bad clock would."""
    if backend.kind == "file":
        state = backend.data_dir() / "state"
        (state / "sec_rate.json").write_bytes(b'{"tat": 1e300, "written_at": 1e300}')
        (state / "sec_breaker.json").write_text("{not json")
    elif backend.kind == "postgres":
        import psycopg

        with psycopg.connect(str(backend.url), autocommit=True) as conn:
            table = "sec_client_state.rate_schedule"
            conn.execute(f"UPDATE {table} SET tat = 1e300, written_at = 1e300")
            conn.execute("""UPDATE sec_client_state.breaker SET record = '{"state": "x"}'""")
    else:
        import redis

        client = redis.Redis.from_url(str(backend.url))
        client.hset(f"{backend.namespace}:rate", mapping={"tat": "soon", "written_at": "x"})
        client.hset(f"{backend.namespace}:breaker", mapping={"state": "{not json"})
        client.close()


def test_a_corrupt_record_starts_fresh(state_backend: StateBackend) -> None:
    """A record that cannot be read, or written by a clock far ahead, never wedges anyone: the
    schedule starts afresh (a request goes now), the breaker starts closed."""
    lim = SharedRateLimiter(state_backend.store().schedule(), 1)
    breaker = CircuitBreaker(state_backend.store().breaker())
    lim.reserve()
    for _ in range(5):
        breaker.record_failure("http_503", "GetPorFecha")
    assert breaker.state is BreakerState.OPEN
    _corrupt(state_backend)
    slot = lim.reserve()
    assert slot is not None and abs(slot - time.time()) < 0.5
    assert lim.reserve() == pytest.approx(slot + 1.0, abs=1e-5)  # and the record is whole
    assert breaker.state is BreakerState.CLOSED and breaker.allow_request("GetPorFecha")
    breaker.record_failure("http_503", "GetPorFecha")  # and it counts again from there
    assert breaker.snapshot()["consecutive_failures"] == 1


@pytest.mark.postgres
def test_a_reservation_that_waited_for_the_row_keeps_the_spacing(pg_database: str) -> None:
    """Postgres: a reservation that waits over a second for the schedule's row (another
    machine's transaction holds it) is not taken for a clock stepped back: its slot follows the
    other one's by the interval."""
    import threading

    import psycopg

    from sec_assets.sec_client.state import close_shared, open_state
    from sec_assets.settings import load_settings
    from sec_assets.warehouse.client_state import _RESERVE

    settings = load_settings(state_url=pg_database, state_namespace="sec_test_wait")
    lim = SharedRateLimiter(open_state(settings).schedule(), 10)
    lim.reserve()  # the row exists
    params = {"key": "sec_test_wait:rate", "interval": 0.1, "slack": 1.0}
    with psycopg.connect(pg_database) as other:  # a transaction: it holds the row until commit
        other.execute("SELECT 1 FROM sec_client_state.rate_schedule FOR UPDATE")
        slots: list[float | None] = []
        waiter = threading.Thread(target=lambda: slots.append(lim.reserve()))
        waiter.start()
        time.sleep(1.5)  # the waiter's statement began, and waits for the row
        tat, _, _ = other.execute(_RESERVE, params).fetchone()  # type: ignore[misc]
        other.commit()
        waiter.join(timeout=30)
    close_shared()
    [slot] = slots
    assert slot is not None and slot >= tat - 1e-5  # after the other one's slot (tat - 0.1)

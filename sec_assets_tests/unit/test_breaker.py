import subprocess
import sys
from pathlib import Path

from sec_assets.sec_client.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make(tmp_path: Path, clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(
        tmp_path / "breaker.json", failure_threshold=5, cooldown_s=1800, clock=clock
    )


def test_opens_after_five_consecutive_failures(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock)
    for _ in range(4):
        b.record_failure("http_503")
        assert b.state is BreakerState.CLOSED and b.allow_request()
    b.record_failure("http_503")
    assert b.state is BreakerState.OPEN
    assert not b.allow_request()


def test_success_resets_the_count(tmp_path: Path) -> None:
    b = make(tmp_path, Clock())
    for _ in range(4):
        b.record_failure("x")
    b.record_success()
    for _ in range(4):
        b.record_failure("x")
    assert b.state is BreakerState.CLOSED


def test_half_open_after_cooldown_lets_one_probe_through(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock)
    for _ in range(5):
        b.record_failure("x")
    clock.now += 1799
    assert b.state is BreakerState.OPEN and not b.allow_request()
    clock.now += 1
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow_request()  # the probe
    assert not b.allow_request()  # everyone else waits for its verdict
    assert b.probe_in_flight()


def test_probe_success_closes(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock)
    for _ in range(5):
        b.record_failure("x")
    clock.now += 1800
    assert b.allow_request()
    b.record_success()
    assert b.state is BreakerState.CLOSED and b.allow_request()


def test_probe_failure_reopens_for_a_full_cooldown(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock)
    for _ in range(5):
        b.record_failure("x")
    clock.now += 1800
    assert b.allow_request()
    b.record_failure("still down")
    assert b.state is BreakerState.OPEN
    clock.now += 1799
    assert b.state is BreakerState.OPEN
    clock.now += 1
    assert b.state is BreakerState.HALF_OPEN


def test_state_outlives_the_object_and_the_process(tmp_path: Path) -> None:
    path = tmp_path / "breaker.json"
    script = (
        "import sys; from pathlib import Path\n"
        "from sec_assets.sec_client.breaker import CircuitBreaker\n"
        "b = CircuitBreaker(Path(sys.argv[1]), failure_threshold=5, cooldown_s=1800)\n"
        "[b.record_failure('http_503 from another process') for _ in range(5)]\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    fresh = CircuitBreaker(path, failure_threshold=5, cooldown_s=1800)
    assert fresh.state is BreakerState.OPEN
    assert not fresh.allow_request()
    assert "another process" in str(fresh.snapshot()["last_error"])


def test_corrupt_state_file_starts_closed(tmp_path: Path) -> None:
    path = tmp_path / "breaker.json"
    path.write_text("{not json")
    assert CircuitBreaker(path).state is BreakerState.CLOSED

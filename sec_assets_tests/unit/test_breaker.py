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


def test_the_reset_command_it_suggests_resets_this_breaker_when_pasted(tmp_path: Path) -> None:
    """A data folder whose name holds spaces and ``$(…)``, and a shell whose SEC_DATA_DIR is
    elsewhere: the command in the message resets this breaker and runs nothing else."""
    data = tmp_path / "my data $(touch pwned)"
    breaker = CircuitBreaker(data / "state" / "sec_breaker.json")
    for _ in range(5):
        breaker.record_failure("http_503: HTTP 503", "GetPorFecha")
    message = breaker.describe()
    command = message.partition("reset it now: `")[2].partition("`")[0]
    assert command.endswith("python -m sec_assets reset-breaker")
    python = Path(sys.executable).parent
    done = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            "PATH": f"{python}:/usr/bin:/bin",
            "PYTHONPATH": ":".join(sys.path),
            "SEC_DATA_DIR": str(tmp_path / "elsewhere"),
        },
    )
    assert done.returncode == 0, done.stderr
    assert breaker.state is BreakerState.CLOSED
    assert sorted(p.name for p in tmp_path.iterdir()) == [data.name]  # no pwned, no elsewhere

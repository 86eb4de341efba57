"""The shared atomic write and file lock (sec_assets/files.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sec_assets.files import LockTimeout, atomic_write, file_lock, someone_waits


def test_atomic_write_takes_bytes_and_text_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "a.json"
    atomic_write(path, b"1")
    atomic_write(path, "zwei ü")
    assert path.read_text(encoding="utf-8") == "zwei ü"
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]


def test_a_failed_write_removes_the_named_temp(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    with pytest.raises(TypeError):
        atomic_write(path, 3, tmp_name=".tmp-x")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_held_lock_times_out_and_reports_the_wait(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    waited: list[bool] = []
    with file_lock(path):
        with pytest.raises(LockTimeout), file_lock(path, timeout_s=0):
            pass
        with (
            pytest.raises(KeyError),
            file_lock(path, timeout_s=0.05, on_wait=lambda: waited.append(True), error=KeyError),
        ):
            pass
    assert waited == [True]
    with file_lock(path, exclusive=False, timeout_s=0), file_lock(path, exclusive=False):
        pass  # shared locks coexist


def test_a_blocking_lock_waits_for_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    order: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with file_lock(path):
            held.set()
            threading.Event().wait(0.1)
            order.append("holder")

    t = threading.Thread(target=holder)
    t.start()
    held.wait()
    with file_lock(path, timeout_s=None):
        order.append("waiter")
    t.join()
    assert order == ["holder", "waiter"]


def test_a_waiter_is_seen_only_while_it_waits(tmp_path: Path) -> None:
    """Whoever waits for a lock holds its want file shared; the holder sees it, and stops
    seeing it once the waiter has the lock or has given up."""
    lock, want = tmp_path / "x.lock", tmp_path / "x.lock.want"
    assert not someone_waits(want)
    seen: list[bool] = []
    with file_lock(lock, timeout_s=0, want=want):
        waiter = threading.Thread(target=lambda: _hold(lock, want), name="waiter", daemon=True)
        waiter.start()
        deadline = time.monotonic() + 30
        while not someone_waits(want):
            assert time.monotonic() < deadline, "the waiter was never seen"
            time.sleep(0.005)
        seen.append(True)
    waiter.join(timeout=30)
    assert seen == [True] and not waiter.is_alive()
    assert not someone_waits(want)  # it holds the lock now (and let it go): nobody waits
    with (
        pytest.raises(LockTimeout),
        file_lock(lock, timeout_s=0),
        file_lock(lock, timeout_s=0.05, want=want, max_delay_s=0.01),
    ):
        pass
    assert not someone_waits(want)  # a waiter that gave up is not seen either


def _hold(lock: Path, want: Path) -> None:
    with file_lock(lock, timeout_s=30, want=want, max_delay_s=0.01):
        pass

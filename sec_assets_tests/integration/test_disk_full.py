"""A full or read-only disk gives one clear error naming the path and what to do, for bronze,
the warehouse and gold files, instead of a raw OSError / WarehouseQueryError (issue 11.9).

Real file systems: a small tmpfs mounted for the test (filled up, or remounted read-only). The
tests run as root, for whom ``chmod`` blocks nothing, so a mount is the real way; where mounting
is not allowed (no CAP_SYS_ADMIN) they skip, saying so.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.store import BronzeStore
from sec_assets.diskerrors import DiskWriteError
from sec_assets.gold.local_files import write_payload
from sec_assets.gold.sync.files import JsonFileSink
from sec_assets.resources import local_resources
from sec_assets.sec_client.exchange import Attempt
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.errors import WarehouseDiskError, WarehouseQueryError


class Disk:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self) -> None:
        """Write until the file system refuses: it is full now."""
        with open(self.path / "filler", "ab") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    def read_only(self) -> None:
        _mount("-o", "remount,ro", str(self.path))


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True, timeout=60)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    path = tmp_path / "disk"
    path.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(path))
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        pytest.skip(f"cannot mount a small tmpfs here (needs root/CAP_SYS_ADMIN): {detail}")
    try:
        yield Disk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=60)


def attempt(key: str = "2024-08-02T00", body: bytes = b"[]" * 5000) -> Attempt:
    at = datetime(2024, 9, 1, tzinfo=UTC)
    return Attempt(
        "GetPorFecha", "http://x/GetPorFecha", {}, key, 1, at, 1.0, 200, {}, body, "empty"
    )  # fmt: skip


def test_bronze_on_a_full_disk_names_the_file_and_what_to_do(disk: Disk) -> None:
    store = BronzeStore(disk.path / "bronze", "sec_snapshots")
    disk.fill()
    with pytest.raises(DiskWriteError) as info:
        store.write("2024-08", attempt())
    message = str(info.value)
    assert str(store.month_dir("2024-08") / "2024-08-02T00") in message
    assert "No space left on device" in message and "disk is full" in message
    assert "SEC_DATA_DIR" in message and "bronze_archive" in message
    assert isinstance(info.value, OSError)  # existing handlers of OSError still apply


def test_bronze_on_a_read_only_disk(disk: Disk) -> None:
    store = BronzeStore(disk.path / "bronze", "sec_snapshots")
    (disk.path / "bronze").mkdir()
    disk.read_only()
    with pytest.raises(DiskWriteError, match=r"read-only.*remount it read-write"):
        store.write("2024-08", attempt())


def test_a_bronze_run_on_a_full_disk_fails_with_the_clear_message(sim, disk: Disk) -> None:
    """Through Dagster, as a user runs it: the failed step says where and what to do."""
    disk.fill()
    result = dg.materialize(
        [sec_snapshots],
        partition_key="2024-08",
        # The SEC client's state stays in $SEC_DATA_DIR; only bronze is on the full disk.
        resources={
            **local_resources(base_url=sim.base_url, requests_per_second=2000, max_attempts=1),
            "bronze": local_resources(disk.path, hours_per_day=1)["bronze"],
        },
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = str(failure.step_failure_data.error)
    assert "cannot write a bronze file" in text and str(disk.path) in text
    assert "disk is full" in text


def test_gold_json_on_a_read_only_disk(disk: Disk) -> None:
    sink = JsonFileSink(disk.path / "gold" / "dashboard_stats")
    disk.read_only()
    with pytest.raises(DiskWriteError) as info:
        sink.write({"id": "market_map", "data": [], "updated_at": "2024-09-01T00:00:00Z"})
    assert str(sink.path_for("market_map")) in str(info.value)
    assert "read-only" in str(info.value)
    with pytest.raises(DiskWriteError, match=r"gold payload .*payloads/market_map\.json"):
        write_payload(disk.path, "market_map", [])


def test_warehouse_on_a_full_disk(disk: Disk) -> None:
    wh = DuckDBWarehouse(disk.path / "warehouse.duckdb")
    wh.execute("CREATE TABLE t (a VARCHAR)")
    disk.fill()
    with pytest.raises(WarehouseDiskError) as info:
        wh.execute("INSERT INTO t SELECT repeat('y', 1000) || i FROM range(200000) r(i)")
    message = str(info.value)
    assert "No space left on device" in message and str(disk.path) in message
    assert "disk is full" in message and "SEC_DATA_DIR" in message
    assert isinstance(info.value, WarehouseQueryError)  # existing handlers still apply

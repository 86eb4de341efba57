"""The SQLite instance's event log with kept connections (``config/dagster.yaml``:
``sec_assets.deploy.event_log``): the shipped settings use it, it stores what Dagster's own
storage stores in the same files (each reads what the other wrote), a run's shard reaches its
main file after every write (the webserver's live log view watches it, and is tested here
through Dagster's own watcher), it closes its connections when disposed of, after a wipe and
beyond its cache, writes no event into a file another process wiped, and a child forked with
its connections open refuses to use them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from sec_assets.deploy.event_log import (
    KEPT_SHARDS,
    KeptSqliteEventLogStorage,
    SecInstance,
)

CONFIG = Path(__file__).resolve().parents[2] / "config" / "dagster.yaml"
PARTITIONS = dg.StaticPartitionsDefinition(["2024-01", "2024-02"])


@dg.asset(partitions_def=PARTITIONS)
def month_asset() -> int:
    return 1


@dg.asset_check(asset=month_asset)
def month_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"rows": 3})


def _materialization(run_id: str, i: int) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="job",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(asset_key="a", partition="2024-01", metadata={"i": i})
        ),
    )
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=event,
    )


def _open_files(directory: Path) -> list[str]:
    """This process's open files under ``directory``."""
    out = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(directory)):
            out.append(target)
    return out


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copy(CONFIG, tmp_path / "dagster.yaml")
    return tmp_path


def test_the_shipped_instance_keeps_its_event_log_connections(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance, SecInstance)
        assert type(instance.event_log_storage) is KeptSqliteEventLogStorage
        assert instance.get_ref().storage_data.class_name == "KeptSqliteStorage"
        # the files where Dagster's default SQLite storage keeps them
        assert Path(instance.event_log_storage._base_dir) == home / "history" / "runs"


def test_what_it_stores_dagsters_own_storage_reads_and_back(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        first = dg.materialize(
            [month_asset, month_check], instance=instance, partition_key="2024-01"
        )
        assert first.success
        kept_logs = [e.dagster_event_type for e in instance.all_logs(first.run_id)]
    plain_home = home / "plain"
    plain_home.mkdir()
    (plain_home / "dagster.yaml").write_text(
        f"telemetry:\n  enabled: false\nstorage:\n  sqlite:\n    base_dir: {home}\n"
    )
    with dg.DagsterInstance.from_config(str(plain_home)) as plain:
        assert type(plain.event_log_storage) is SqliteEventLogStorage
        assert [e.dagster_event_type for e in plain.all_logs(first.run_id)] == kept_logs
        latest = plain.get_latest_materialization_event(dg.AssetKey("month_asset"))
        assert latest is not None and latest.dagster_event.partition == "2024-01"
        record = plain.event_log_storage.get_latest_asset_check_execution_by_key(
            [month_check.check_key]
        )[month_check.check_key]
        assert record.status.value == "SUCCEEDED"
        second = dg.materialize([month_asset], instance=plain, partition_key="2024-02")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        status = instance.get_status_by_partition(
            dg.AssetKey("month_asset"), ["2024-01", "2024-02"], PARTITIONS
        )
        assert status == {
            "2024-01": dg.AssetPartitionStatus.MATERIALIZED,
            "2024-02": dg.AssetPartitionStatus.MATERIALIZED,
        }
        assert instance.get_run_by_id(second.run_id) is not None


def test_a_runs_shard_reaches_its_main_file_after_every_write(tmp_path: Path) -> None:
    storage = KeptSqliteEventLogStorage(str(tmp_path))
    try:
        for i in range(3):
            storage.store_event(_materialization("run1", i))
            # immutable=1 reads the main file alone, never the write-ahead log
            raw = sqlite3.connect(f"file:{tmp_path / 'run1.db'}?immutable=1", uri=True)
            try:
                (stored,) = raw.execute("SELECT count(*) FROM event_logs").fetchone()
            finally:
                raw.close()
            assert stored == i + 1
    finally:
        storage.dispose()


def test_a_write_reaches_the_main_file_past_a_readers_open_snapshot(tmp_path: Path) -> None:
    """A reader (the webserver) holding a snapshot while a run writes keeps the new frames out
    of a checkpoint; the write waits for it to end, so the main file the live log view
    watches changes with the run's last event too."""
    storage = KeptSqliteEventLogStorage(str(tmp_path))
    try:
        storage.store_event(_materialization("run5", 0))
        reader = sqlite3.connect(str(tmp_path / "run5.db"), check_same_thread=False)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM event_logs").fetchone() == (1,)
        ended = threading.Timer(0.3, reader.rollback)  # the snapshot ends during the write
        ended.start()
        storage.store_event(_materialization("run5", 1))
        ended.join()
        reader.close()
        raw = sqlite3.connect(f"file:{tmp_path / 'run5.db'}?immutable=1", uri=True)
        try:
            assert raw.execute("SELECT count(*) FROM event_logs").fetchone() == (2,)
        finally:
            raw.close()
    finally:
        storage.dispose()


def test_the_live_log_view_sees_another_processes_writes(tmp_path: Path) -> None:
    """Dagster's watcher (the webserver's run log subscription) on one storage, the writes
    through another, as a run worker writes them."""
    viewer, writer = SqliteEventLogStorage(str(tmp_path)), KeptSqliteEventLogStorage(str(tmp_path))
    writer.store_event(_materialization("run2", 0))
    seen: list[EventLogEntry] = []
    arrived = threading.Event()

    def callback(entry: EventLogEntry, _cursor: str) -> None:
        seen.append(entry)
        if len(seen) >= 3:
            arrived.set()

    viewer.watch("run2", None, callback)
    try:
        for i in range(1, 4):
            writer.store_event(_materialization("run2", i))
        assert arrived.wait(30), f"the watcher saw {len(seen)} of 3 new events"
    finally:
        viewer.end_watch("run2", callback)
        viewer.dispose()
        writer.dispose()


def test_connections_are_closed_disposed_wiped_and_beyond_the_cache(tmp_path: Path) -> None:
    storage = KeptSqliteEventLogStorage(str(tmp_path))
    for n in range(KEPT_SHARDS + 3):
        storage.store_event(_materialization(f"run{n}", n))
    open_dbs = {f for f in _open_files(tmp_path) if f.endswith(".db")}
    assert len(open_dbs) <= KEPT_SHARDS, open_dbs
    storage.wipe()
    assert not [f for f in _open_files(tmp_path) if "run" in Path(f).name]
    storage.store_event(_materialization("after_wipe", 0))  # new files, new connections
    assert len(storage.get_logs_for_run("after_wipe")) == 1
    storage.dispose()
    assert _open_files(tmp_path) == []


def test_a_child_forked_with_connections_open_refuses_to_use_them(tmp_path: Path) -> None:
    """SQLite's locks are per process: a child forked with the parent's connections open
    neither uses them nor opens its own (it would take the parent's locks for its own); the
    parent's connections still work."""
    storage = KeptSqliteEventLogStorage(str(tmp_path))
    try:
        storage.store_event(_materialization("run3", 0))
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                storage.store_event(_materialization("run3", 1))
            except RuntimeError as exc:
                code = 0 if "forked with SQLite connections open" in str(exc) else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        storage.store_event(_materialization("run3", 2))
        assert [
            e.dagster_event.event_specific_data.materialization.metadata["i"].value
            for e in storage.get_logs_for_run("run3")
        ] == [0, 2]
    finally:
        storage.dispose()


def test_a_kept_reader_sees_each_new_write_of_another_process(tmp_path: Path) -> None:
    """The webserver and the daemon read through kept connections too: each read sees what
    a run's worker committed since, not a snapshot of when the connection opened."""
    reader, writer = (
        KeptSqliteEventLogStorage(str(tmp_path)),
        KeptSqliteEventLogStorage(str(tmp_path)),
    )
    try:
        for i in range(3):
            writer.store_event(_materialization("run4", i))
            assert len(reader.get_logs_for_run("run4")) == i + 1
            latest = reader.get_latest_materialization_events([dg.AssetKey("a")])
            assert latest[dg.AssetKey("a")].asset_materialization.metadata["i"].value == i
    finally:
        reader.dispose()
        writer.dispose()


def test_a_wipe_by_another_process_loses_no_later_event(tmp_path: Path) -> None:
    """The webserver wipes the instance while a run's worker holds its shard open: the
    worker's next events go to the new file, where every reader finds them, not into the
    deleted one."""
    worker, webserver = (
        KeptSqliteEventLogStorage(str(tmp_path)),
        KeptSqliteEventLogStorage(str(tmp_path)),
    )
    try:
        worker.store_event(_materialization("run6", 0))
        webserver.wipe()
        assert webserver.get_logs_for_run("run6") == []
        worker.store_event(_materialization("run6", 1))
        got = SqliteEventLogStorage(str(tmp_path)).get_logs_for_run("run6")
        assert [
            e.dagster_event.event_specific_data.materialization.metadata["i"].value for e in got
        ] == [1]
    finally:
        worker.dispose()
        webserver.dispose()

"""A Dagster run's warehouse calls share one kept connection (:mod:`sec_assets.warehouse.kept`):
read-only until the first write, read-write from then on; let go of when idle, before waiting
for a named lock another process holds, and when the run ends — so another process never waits
for an idle one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from sec_assets.files import LockTimeout, file_lock
from sec_assets.resources import local_resources
from sec_assets.warehouse import (
    PostgresWarehouse,
    WarehouseError,
    duckdb_engine,
    duckdb_file,
    kept,
)
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
from sec_assets.warehouse.resource import WarehouseResource

WRITE = """
import sys
from sec_assets.warehouse import PostgresWarehouse, WarehouseError
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
wh = DuckDBWarehouse(sys.argv[1], lock_timeout_s=60)
wh.execute("INSERT INTO silver.dim_empresa VALUES ('other', 'O', 'O', FALSE, 'v')")
"""
# Takes the named lock "events", says so, then writes (waiting for the file meanwhile).
LOCKED_WRITE = """
import sys
from pathlib import Path
from sec_assets.warehouse import PostgresWarehouse, WarehouseError
from sec_assets.warehouse.duckdb_engine import DuckDBWarehouse
wh = DuckDBWarehouse(sys.argv[1], lock_timeout_s=60)
with wh._named_lock("events", 60):
    Path(sys.argv[2]).touch()
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('locked', 'L', 'L', FALSE, 'v')")
"""


def count(wh: DuckDBWarehouse) -> int:
    return int(wh.read("SELECT COUNT(*) AS n FROM silver.dim_empresa")["n"].item())


def backend(wh: PostgresWarehouse) -> int:
    return int(wh.read("SELECT pg_backend_pid() AS p")["p"].item())


def kept_of(wh: DuckDBWarehouse) -> kept.KeptConnection:
    return duckdb_engine._kept[wh.path.resolve()]


@pytest.fixture
def wh(tmp_path: Path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.ensure_schema()
    yield wh
    wh.release_kept()


def test_calls_share_one_connection_read_only_until_a_write(wh: DuckDBWarehouse) -> None:
    wh.keep_open(idle_s=600)
    for _ in range(5):
        assert count(wh) == 0
    # read-only: a shared lock, which a writer would wait for
    with pytest.raises(LockTimeout), file_lock(wh.lock_path, exclusive=True, timeout_s=0):
        pass
    with file_lock(wh.lock_path, exclusive=False, timeout_s=0):  # other readers do not wait
        pass
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
    with wh.session():
        wh.execute("INSERT INTO silver.dim_empresa VALUES ('y', 'Y', 'Y', FALSE, 'v')")
    assert count(wh) == 2
    # read-write now: exclusive
    with pytest.raises(LockTimeout), file_lock(wh.lock_path, exclusive=False, timeout_s=0):
        pass
    assert wh.release_kept() == 2  # opened for the first read, again (read-write) to write
    # Released: another process writes without waiting for us.
    subprocess.run([sys.executable, "-c", WRITE, str(wh.path)], check=True, timeout=120)
    assert count(wh) == 3


def test_an_idle_connection_is_let_go_of(wh: DuckDBWarehouse) -> None:
    wh.keep_open(idle_s=0.2)
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
    # Without the idle release this process would hold the file until release_kept(), and
    # the writer would give up after its 60 s.
    subprocess.run([sys.executable, "-c", WRITE, str(wh.path)], check=True, timeout=120)
    assert count(wh) == 2
    assert kept_of(wh).opened == 2  # the read opened it again


def test_an_error_through_the_kept_connection_closes_it(wh: DuckDBWarehouse) -> None:
    wh.keep_open(idle_s=600)
    assert count(wh) == 0
    with pytest.raises(Exception, match="no_such_table"):
        wh.read("SELECT * FROM silver.no_such_table")
    assert count(wh) == 0
    assert kept_of(wh).opened == 2


def test_a_named_lock_inside_a_session_is_refused(wh: DuckDBWarehouse) -> None:
    """Waiting for it there would hold the file its holder may be waiting for."""
    wh.keep_open(idle_s=600)
    with (
        wh.session(),
        pytest.raises(WarehouseError, match="take it first"),
        wh.lock("events", timeout_s=1),
    ):
        pass
    with wh.lock("events", timeout_s=1):  # taken first, then the session: fine
        assert count(wh) == 0


def test_waiting_for_a_named_lock_lets_go_of_the_file(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    """Another process holds the named lock and waits for the file, which our idle kept
    connection holds: we let go of the file while we wait for the lock (the order of every
    process is named lock, then file), instead of both waiting until one gives up."""
    wh.keep_open(idle_s=600)
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")  # exclusive
    marker = tmp_path / "holds-events"
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKED_WRITE, str(wh.path), str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the other process never took the lock"
        time.sleep(0.01)
    with wh.lock("events", timeout_s=120):
        assert count(wh) == 2  # its write went in before we got the lock
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]


def test_a_kept_connection_in_use_lets_go_between_uses_when_another_process_waits(
    wh: DuckDBWarehouse, tmp_path: Path
) -> None:
    """A ranged load keeps using its connection (a month written, the next parsed, written…):
    it never idles for ``idle_s``, yet a process that waits for the file gets it at the end
    of one of those uses once the connection has been held ``min_hold_s`` — here well before
    the idle release (600 s) or the writer's 60 s would have ended the wait."""
    wh.keep_open(idle_s=600)
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITE, str(wh.path)], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None:  # our uses go on, a little apart, as a ranged load's writes do
        assert time.monotonic() < deadline, "the waiting writer never got the file"
        assert count(wh) >= 1
        time.sleep(0.05)
    assert proc.returncode == 0, proc.stderr.read()[-2000:] if proc.stderr else ""
    assert count(wh) == 2  # its write went in while our kept connection was in use
    assert kept_of(wh).opened >= 2  # let go, then opened again for our next use


def test_nobody_waiting_keeps_the_connection(wh: DuckDBWarehouse) -> None:
    """Without a waiter, uses after ``min_hold_s`` still share the one connection."""
    wh.keep_open(idle_s=600)
    wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
    time.sleep(duckdb_file.HOLD_BEFORE_YIELDING_S + 0.1)
    for _ in range(5):
        assert count(wh) == 1
    assert kept_of(wh).opened == 1


def test_a_run_that_only_reads_shares_the_file(tmp_path: Path) -> None:
    """A run's first call ensures the schema (a write) on a connection of its own; the kept
    one is then read-only, under the shared lock: other readers do not wait for the run."""
    seen: dict[str, bool] = {}

    @dg.asset
    def reads(warehouse: WarehouseResource) -> None:
        wh = warehouse.get_warehouse()
        assert isinstance(wh, DuckDBWarehouse)
        seen["empty"] = count(wh) == 0
        with file_lock(wh.lock_path, exclusive=False, timeout_s=0):  # shared with us
            pass
        try:
            with file_lock(wh.lock_path, exclusive=True, timeout_s=0):
                seen["exclusive_free"] = True
        except LockTimeout:
            seen["exclusive_free"] = False

    resource = local_resources(tmp_path)["warehouse"]
    assert dg.materialize([reads], resources={"warehouse": resource}).success
    assert seen == {"empty": True, "exclusive_free": False}


def test_a_run_opens_the_file_once_for_its_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three steps of one run (a write, a session, reads) share one connection, on which the
    first step, which says it writes, has the schema ensured: the file is opened once. When
    the run ends, another process writes at once."""
    monkeypatch.setenv("SEC_WAREHOUSE_IDLE_S", "600")  # no idle release between the steps
    seen: dict[str, int] = {}

    @dg.asset
    def first(warehouse: WarehouseResource) -> None:
        warehouse.get_warehouse(writes=True).execute(
            "INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')"
        )

    @dg.asset(deps=[first])
    def second(warehouse: WarehouseResource) -> None:
        wh = warehouse.get_warehouse()
        with wh.session():
            wh.execute("INSERT INTO silver.dim_empresa VALUES ('y', 'Y', 'Y', FALSE, 'v')")

    @dg.asset(deps=[second])
    def third(warehouse: WarehouseResource) -> None:
        wh = warehouse.get_warehouse()
        assert isinstance(wh, DuckDBWarehouse)
        for _ in range(3):
            seen["rows"] = count(wh)
        seen["opened"] = kept_of(wh).opened
        seen["connections"] = wh.connections_opened

    resource = local_resources(tmp_path)["warehouse"]
    assert dg.materialize([first, second, third], resources={"warehouse": resource}).success
    assert seen == {"rows": 2, "opened": 1, "connections": 1}
    path = tmp_path / "warehouse.duckdb"
    assert path.resolve() not in duckdb_engine._kept
    subprocess.run(  # the run's teardown released the file: another process writes at once
        [sys.executable, "-c", WRITE.replace("60", "1"), str(path)], check=True, timeout=120
    )


def test_a_failed_schema_check_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writing run's schema check runs on the kept connection; when it fails, the run fails
    and keeps nothing: the process's later calls of that file open and close their own
    connection (none is held read-write for SEC_WAREHOUSE_IDLE_S after each)."""
    monkeypatch.setenv("SEC_WAREHOUSE_IDLE_S", "600")

    def failing(self: Warehouse) -> list[str]:
        with self._transaction() as tx:  # opens the (kept) connection read-write, then fails
            tx.execute("SELECT 1")
            raise RuntimeError("simulated schema check failure")

    @dg.asset
    def writes(warehouse: WarehouseResource) -> None:
        warehouse.get_warehouse(writes=True)

    with monkeypatch.context() as patched:
        patched.setattr(Warehouse, "ensure_schema", failing)
        resource = local_resources(tmp_path)["warehouse"]
        result = dg.materialize([writes], resources={"warehouse": resource}, raise_on_error=False)
    assert not result.success
    path = (tmp_path / "warehouse.duckdb").resolve()
    assert path not in duckdb_engine._kept
    DuckDBWarehouse(path).ensure_schema()  # outside any run: its own connection, closed
    assert path not in duckdb_engine._kept


@pytest.mark.postgres
def test_postgres_calls_share_one_connection_until_an_error(pg_database: str) -> None:
    wh = PostgresWarehouse(pg_database)
    wh.ensure_schema()
    wh.keep_open(idle_s=600)
    try:
        pid = backend(wh)
        wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
        with wh.session():
            assert backend(wh) == pid
        with wh.get_connection() as conn:  # a call inside another's: its own, as before
            assert conn.execute("SELECT pg_backend_pid()").fetchone() == (pid,)
            assert backend(wh) != pid
        assert wh.read("SELECT count(*) AS n FROM silver.dim_empresa")["n"].item() == 1
        with pytest.raises(WarehouseError, match="no_such_table"):
            wh.read("SELECT * FROM silver.no_such_table")
        # The failed connection was not kept: the next call has a new one, and works.
        again = backend(wh)
        assert again != pid
        with psycopg.connect(pg_database, autocommit=True) as admin:  # a server-side end
            admin.execute("SELECT pg_terminate_backend(%s)", (again,))
        with pytest.raises(WarehouseError):
            backend(wh)
        assert backend(wh) not in (pid, again)  # and the call after it connects anew
        opened = wh.release_kept()
    finally:
        wh.release_kept()
    assert opened == 3
    assert wh.release_kept() == 0


@pytest.mark.postgres
def test_a_postgres_run_connects_once_for_its_steps(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEC_WAREHOUSE_IDLE_S", "600")  # no idle release between the steps
    pids: list[int] = []
    connections: list[int] = []

    @dg.asset
    def first(warehouse: WarehouseResource) -> None:
        wh = warehouse.get_warehouse(writes=True)  # the schema ensured on the kept one too
        wh.execute("INSERT INTO silver.dim_empresa VALUES ('x', 'X', 'X', FALSE, 'v')")
        pids.append(wh.read("SELECT pg_backend_pid() AS p")["p"].item())

    @dg.asset(deps=[first])
    def second(warehouse: WarehouseResource) -> None:
        wh = warehouse.get_warehouse()
        with wh.session():
            pids.append(wh.read("SELECT pg_backend_pid() AS p")["p"].item())
        connections.append(wh.connections_opened)

    resource = local_resources(tmp_path, pg_dsn=pg_database)["warehouse"]
    assert dg.materialize([first, second], resources={"warehouse": resource}).success
    assert len(pids) == 2 and pids[0] == pids[1]
    assert connections == [1]
    # The run's teardown closed it (the server ends the backend soon after the client goes).
    deadline = time.monotonic() + 60
    with psycopg.connect(pg_database, autocommit=True) as conn:
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pids[0],)).fetchone():
            assert time.monotonic() < deadline, "the run's connection outlived the run"
            time.sleep(0.05)

"""Two processes loading different months into the same warehouse at once: both complete.

DuckDB admits one writer process per file, so writers queue on the lock beside it; Postgres
runs one transaction per month whose deletes touch only that month.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sec_assets.warehouse import (
    DuckDBWarehouse,
    Warehouse,
    WarehouseLockTimeout,
    WarehouseQueryError,
)
from sec_assets_tests.integration import test_warehouse_support as support
from sec_assets_tests.integration.test_warehouse_support import (
    facts,
    load_month,
    month_rows,
    table,
)

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 4
HOURS = 48  # facts of the first two days: short transactions that interleave

LOADER = """
import sys, time
from pathlib import Path
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse
from sec_assets_tests.integration.test_warehouse_support import load_month

engine, target, month, rounds, hours, sync = sys.argv[1:]
wh = DuckDBWarehouse(target) if engine == "duckdb" else PostgresWarehouse(target)
wh.tables()  # warm up (first connection, catalog) before the race starts
Path(sync, "ready-" + month).touch()
while not Path(sync, "go").exists():  # start together
    time.sleep(0.005)
for bump in range(int(rounds)):
    load_month(wh, month, hours=int(hours), bump=bump)
"""


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.005)


def target_of(wh: Warehouse) -> str:
    if isinstance(wh, DuckDBWarehouse):
        return str(wh.path)
    return wh._dsn.get_secret_value()  # type: ignore[attr-defined]


def test_two_processes_load_different_months_at_once(seeded: Warehouse, tmp_path: Path) -> None:
    """A child process loads January while this process loads February, round after round."""
    child = spawn(
        LOADER, seeded.engine, target_of(seeded), "2024-01", str(ROUNDS), str(HOURS), str(tmp_path)
    )
    wait_for(tmp_path / "ready-2024-01")
    (tmp_path / "go").touch()
    for bump in range(ROUNDS):
        load_month(seeded, "2024-02", hours=HOURS, bump=bump)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err[-2000:]

    hours = {"2024-01": 31 * 24, "2024-02": 29 * 24}
    for m in hours:
        assert month_rows(seeded, "snapshot_ledger", m) == hours[m]
        assert month_rows(seeded, "fact_interrupciones", m) == HOURS * 8 * 3
        last = facts(m, hours=HOURS, bump=ROUNDS - 1).sort("hash_id")["clientes_afectados"]
        got = seeded.read(
            "SELECT clientes_afectados FROM silver.fact_interrupciones "
            "WHERE month = :m ORDER BY hash_id",
            {"m": m},
        )
        assert got["clientes_afectados"].equals(last)  # the last round won, whole


HOLDER = """
import sys, time
from pathlib import Path
import duckdb

con = duckdb.connect(sys.argv[1])  # a foreign process: it does not take our lock file
Path(sys.argv[2]).touch()
time.sleep(float(sys.argv[3]))
con.close()
"""


def test_duckdb_waits_for_a_foreign_holder_then_gives_up_or_proceeds(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    DuckDBWarehouse(path).ensure_schema()
    holding = tmp_path / "holding"
    holder = spawn(HOLDER, str(path), str(holding), "0.6")
    wait_for(holding)

    impatient = DuckDBWarehouse(path, lock_timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(WarehouseLockTimeout):
        impatient.execute("INSERT INTO silver.quarantine VALUES ('m', 'h', 'r', 's', NULL)")
    assert time.monotonic() - started < 0.6

    patient = DuckDBWarehouse(path, lock_timeout_s=20)
    patient.execute("INSERT INTO silver.quarantine VALUES ('m', 'h', 'r', 's', NULL)")
    holder.communicate(timeout=20)
    assert table(patient, "quarantine", order="hour_key").height == 1


def test_duckdb_writers_in_this_process_queue_on_the_lock_file(tmp_path: Path) -> None:
    from sec_assets.files import file_lock

    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb", lock_timeout_s=0.2)
    wh.ensure_schema()
    with file_lock(wh.lock_path, exclusive=True, timeout_s=1), pytest.raises(WarehouseLockTimeout):
        wh.execute("INSERT INTO silver.quarantine VALUES ('m', 'h', 'r', 's', NULL)")
    with file_lock(wh.lock_path, exclusive=False, timeout_s=1):  # readers share it
        assert wh.read("SELECT count(*) AS n FROM silver.quarantine")["n"].item() == 0


def test_nested_use_on_one_thread_is_refused_not_deadlocked(tmp_path: Path) -> None:
    from sec_assets.warehouse import WarehouseError

    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    wh.ensure_schema()
    with wh.get_connection() as con, pytest.raises(WarehouseError, match="nested use"):
        con.execute("SELECT 1").fetchall()
        wh.read("SELECT 1 AS x")


def test_a_duckdb_session_shares_one_connection_and_holds_the_write_lock(tmp_path: Path) -> None:
    """Inside ``session()`` every call of this thread uses one connection (a TEMP table made
    by one call is seen by the next, and by a transaction); other writers wait for it."""
    from sec_assets.files import LockTimeout, file_lock

    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb", lock_timeout_s=0.2)
    wh.ensure_schema()
    with wh.session():
        wh.execute("CREATE TEMP TABLE scratch AS SELECT 41 AS x")
        wh.execute("UPDATE scratch SET x = x + 1")
        assert wh.read("SELECT x FROM scratch")["x"].item() == 42
        with wh.session():  # nested: the same one
            assert wh.read("SELECT x FROM scratch")["x"].item() == 42
        with (
            pytest.raises(LockTimeout),
            file_lock(wh.lock_path, exclusive=True, timeout_s=0.2),
        ):
            pass
    with pytest.raises(WarehouseQueryError, match="scratch"):  # closed with the session
        wh.read("SELECT x FROM scratch")
    with file_lock(wh.lock_path, exclusive=True, timeout_s=1):  # and the lock is free
        pass

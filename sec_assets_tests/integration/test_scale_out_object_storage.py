"""Machines that share nothing but the services: three dagster-celery workers, each with its own
empty ``SEC_DATA_DIR`` and process group, sharing only an S3 server (moto on loopback: bronze
and the golden files), Postgres (the instance and the warehouse) and Redis (the broker; and the
client's state when ``SEC_STATE_URL`` exists). Three months run bronze → silver → golden
Parquet on them; the results equal a single-machine run's against local disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import yaml

from sec_assets import objects
from sec_assets.bronze.store import BronzeStore, open_store
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation
from sec_assets.settings import SecSettings
from sec_assets_tests.conftest import pg_throwaway_database
from sec_assets_tests.integration.test_scale_out_celery import (
    CELERY_CONFIG,
    PG_CONFIG,
    REDIS,
    WORKER,
    WORKER_OPTIONS,
    forget,
    require_redis,
    stop,
    wait_until_ready,
)
from sec_assets_tests.s3_server import s3_server
from sec_sim import SimConfig, run_simulator
from sec_tools.demo import run_selection

pytestmark = pytest.mark.deployment

dagster_celery = pytest.importorskip("dagster_celery", reason="dagster-celery is not installed")

REPO = Path(__file__).resolve().parents[2]
MONTHS = ["2024-07", "2024-08", "2024-09"]
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]
MONTHLY = [
    "sec_snapshots",
    "sec_customers",
    "region_customers",
    "snapshot_ledger",
    "fact_interrupciones",
    "fact_eventos",
    "golden_eventos",
]
WORKERS = 3
# Compared between the two runs: what silver and gold hold (fetch times differ by nature).
TABLES = {
    "silver.fact_interrupciones": "hash_id",
    "silver.fact_eventos": "evento_id",
    "silver.region_customers": "month, cut_region",
}


def monthly_on_celery() -> dg.JobDefinition:
    """The month's assets with their checks, every step on a Celery worker (module level: the
    workers rebuild it by name)."""
    from sec_assets.definitions import defs

    job = dg.define_asset_job(
        "monthly_on_celery", selection=MONTHLY, executor_def=dagster_celery.celery_executor
    )
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources=defs.resources,
    ).resolve_job_def("monthly_on_celery")


@contextmanager
def pg_databases(n: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        dsns = []
        for _ in range(n):
            gen = pg_throwaway_database()
            dsns.append(next(gen))
            stack.callback(lambda g=gen: next(g, None))
        yield dsns


def shared_state(env: dict[str, str], namespace: str) -> bool:
    """The client's state in Redis when the platform has that setting (``SEC_STATE_URL``),
    under this test's own key prefix."""
    if "state_url" not in SecSettings.model_fields:
        return False
    env.update(SEC_STATE_URL=f"{REDIS}/2", SEC_STATE_NAMESPACE=namespace)
    return True


def table(dsn: str, name: str, order: str, drop: tuple[str, ...] = ()) -> pl.DataFrame:
    import psycopg

    with psycopg.connect(dsn) as conn:
        cur = conn.execute(f"SELECT * FROM {name} ORDER BY {order}")
        cols = [c.name for c in cur.description or []]
        frame = pl.DataFrame(cur.fetchall(), schema=cols, orient="row", infer_schema_length=None)
    return frame.drop([c for c in frame.columns if c in drop or "fetched" in c or c == "loaded_at"])


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
@pytest.mark.timeout(900)
def test_three_workers_share_only_s3_postgres_and_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_redis("the Celery broker")
    with (
        s3_server() as s3,
        pg_databases(3) as (instance_dsn, warehouse_dsn, single_dsn),
        run_simulator(SimConfig(seed=11)) as sim,
    ):
        with ExitStack() as stack:  # the workers: stopped before the single-machine run
            bronze_url, gold_url = s3.bucket("bronze"), s3.bucket("gold")
            config = yaml.safe_load(CELERY_CONFIG.read_text())
            prefix = f"sec_test_{uuid.uuid4().hex[:8]}:"
            source = config["execution"]["config"]["config_source"]
            source["broker_transport_options"]["global_keyprefix"] = prefix
            source["result_backend_transport_options"] = {"global_keyprefix": prefix}
            run_config_path = tmp_path / "celery.yaml"
            run_config_path.write_text(yaml.safe_dump(config))
            stack.callback(forget, prefix)

            base = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
            base.update(
                s3.env(),
                DAGSTER_PG_URL=instance_dsn,
                DAGSTER_CELERY_BROKER_URL=f"{REDIS}/0",
                DAGSTER_CELERY_BACKEND_URL=f"{REDIS}/0",
                PYTHONPATH=str(REPO),
                PATH=os.pathsep.join(
                    [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
                ),
                SEC_BASE_URL=sim.base_url,
                SEC_BRONZE_URL=bronze_url,
                SEC_GOLD_URL=gold_url,
                SEC_PG_DSN=warehouse_dsn,
                SEC_HOURS_PER_DAY="1",
                SEC_REQUESTS_PER_SECOND="200",
            )
            shared = shared_state(base, prefix.rstrip(":"))
            for name in (
                "DAGSTER_PG_URL",
                "DAGSTER_CELERY_BROKER_URL",
                "DAGSTER_CELERY_BACKEND_URL",
            ):
                monkeypatch.setenv(name, base[name])

            launcher_home = tmp_path / "launcher_home"
            launcher_home.mkdir()
            shutil.copy(PG_CONFIG, launcher_home / "dagster.yaml")
            instance = stack.enter_context(dg.DagsterInstance.from_config(str(launcher_home)))
            machines = []
            for i in range(WORKERS):  # a machine: its own home, data folder, process group
                home, data = tmp_path / f"m{i}" / "home", tmp_path / f"m{i}" / "data"
                home.mkdir(parents=True)
                shutil.copy(PG_CONFIG, home / "dagster.yaml")
                env = {**base, "DAGSTER_HOME": str(home), "SEC_DATA_DIR": str(data)}
                log = tmp_path / f"m{i}" / "worker.log"
                options = [*WORKER_OPTIONS[1:], "--concurrency=1"]  # one step at a time each
                worker = subprocess.Popen(
                    [*WORKER, "-y", str(run_config_path), "-n", f"{prefix}w{i}", "--", *options],
                    env=env,
                    cwd=REPO,
                    stdout=stack.enter_context(open(log, "wb")),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                stack.callback(stop, worker)
                machines.append((worker, log, data))
            for worker, log, _ in machines:
                wait_until_ready(worker, log, timeout_s=120)

            # The dimensions (not monthly) once, from the launcher, into the shared warehouse.
            for name, value in base.items():
                if name.startswith(("SEC_", "AWS_")):
                    monkeypatch.setenv(name, value)
            monkeypatch.setenv("SEC_DATA_DIR", str(tmp_path / "launcher_data"))
            assert run_selection(DIMS, {}).success
            checks: list[dg.AssetCheckEvaluation] = []
            for month in MONTHS:  # a backfill's runs: one per month
                result = dg.execute_job(
                    dg.reconstructable(monthly_on_celery),
                    instance=instance,
                    run_config=yaml.safe_load(run_config_path.read_text()),
                    tags={"dagster/partition": month},
                )
                assert result.success, [e.message for e in result.all_events if e.is_failure]
                checks += [
                    e.event_specific_data
                    for e in result.all_events
                    if e.event_type_value == "ASSET_CHECK_EVALUATION"
                ]
            sim_log = Counter(k for method, k, _ in sim.request_log() if method == "GetPorFecha")

        # Every check passed; each hour was asked of the SEC look-alike once, by any machine.
        assert checks and all(c.passed for c in checks), [
            c.check_name for c in checks if not c.passed
        ]
        hours = sum(len(Month.parse(m).hours(1)) for m in MONTHS)  # one a day: 92
        assert len(sim_log) == hours and set(sim_log.values()) == {1}, sim_log.most_common(3)
        # Bronze is one store: in the bucket, on no machine's disk (only copies in caches).
        worked = [data for _, _, data in machines if (data / "cache").is_dir()]
        assert len(worked) >= 2, "the steps should spread over the workers"
        assert not any((data / "bronze").exists() for _, _, data in machines)

        # The same three months on one machine, local disk, its own warehouse and simulator.
        single = tmp_path / "single"
        for name in ("SEC_BRONZE_URL", "SEC_GOLD_URL", "SEC_STATE_URL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SEC_DATA_DIR", str(single))
        monkeypatch.setenv("SEC_PG_DSN", single_dsn)
        with run_simulator(SimConfig(seed=11)) as sim2:
            monkeypatch.setenv("SEC_BASE_URL", sim2.base_url)
            assert run_selection(DIMS, {}).success
            for month in MONTHS:
                assert run_selection(MONTHLY, {}, partition=month).success

        for name, order in TABLES.items():
            drop = ("actualizado_hace_min",)  # the simulator's "minutes ago": the clock moved
            left, right = (
                table(warehouse_dsn, name, order, drop),
                table(single_dsn, name, order, drop),
            )
            assert left.height > 0 and left.equals(right), name
        for month in MONTHS:
            local = BronzeStore(single / "bronze", "sec_snapshots")
            bucket = open_store(ObjectLocation(bronze_url, tmp_path / "check"), "sec_snapshots")
            assert bucket.versions(month) == local.versions(month)
            key = f"parquet/fact_eventos/year=2024/month={month[5:]}/data.parquet"
            golden = single / "gold" / key
            published = objects.get(gold_url, key)
            assert pl.read_parquet(published).equals(pl.read_parquet(golden))
        print(f"\nshared client state: {'Redis (SEC_STATE_URL)' if shared else 'per machine'}")

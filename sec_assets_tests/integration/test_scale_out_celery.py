"""A distributed executor: the steps of a partitioned run executed by a Celery worker process
(dagster-celery on the local Redis, broker and result backend), run config from
``config/celery.yaml``, on a Postgres-backed instance shared by launcher and worker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml

from sec_assets.bronze.assets import sec_customers, sec_snapshots
from sec_assets.bronze.resources import BronzeResource
from sec_assets.bronze.store import BronzeStore
from sec_assets.sec_client.resource import SecClientResource
from sec_assets_tests.state_stores import require_redis

pytestmark = pytest.mark.deployment

dagster_celery = pytest.importorskip(
    "dagster_celery", reason="dagster-celery is not installed (pip install 'dagster-celery[redis]')"
)

REPO = Path(__file__).resolve().parents[2]
CELERY_CONFIG = REPO / "config" / "celery.yaml"
PG_CONFIG = REPO / "config" / "dagster_postgres.yaml"
REDIS = "redis://127.0.0.1:6379"
WORKER = [str(Path(sys.executable).with_name("dagster-celery")), "worker", "start"]
WORKER += ["-A", "dagster_celery.app"]
WORKER_OPTIONS = ["--concurrency=2", "--without-heartbeat", "--without-gossip", "--without-mingle"]


def bronze_on_celery() -> dg.JobDefinition:
    """Both bronze assets of a month as one job whose steps run on Celery workers. Module
    level, so the worker rebuilds it from its module name (``dg.reconstructable``); resources
    read SEC_* in the worker, where the steps run."""
    job = dg.define_asset_job(
        "bronze_on_celery",
        selection=[sec_snapshots, sec_customers],
        executor_def=dagster_celery.celery_executor,
    )
    defs = dg.Definitions(
        assets=[sec_snapshots, sec_customers],
        jobs=[job],
        resources={"sec_client": SecClientResource(), "bronze": BronzeResource()},
    )
    return defs.resolve_job_def("bronze_on_celery")


def forget(prefix: str) -> None:
    """Delete this test's keys (queue, bindings, results) from Redis."""
    import redis

    client = redis.Redis.from_url(f"{REDIS}/0")
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def stop(worker: subprocess.Popen, timeout_s: float = 20) -> None:
    """The CLI and the Celery processes it started (its session): a warm shutdown, then kill."""
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=timeout_s)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            os.killpg(worker.pid, 0)  # raises once no process of the session is left
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_until_ready(worker: subprocess.Popen, log_path: Path, timeout_s: float = 60) -> None:
    """Until the worker says it is ready (steps sent before then would wait in the queue,
    and a worker that died would leave the run waiting forever)."""
    deadline = time.monotonic() + timeout_s
    while b" ready." not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.postgres
# dagster-celery 0.29 registers its step task again for every step it submits; Celery 5.7 warns.
@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
@pytest.mark.timeout(120)  # a lost worker's step would wait out the visibility timeout
def test_a_month_runs_on_a_celery_worker(
    sim, tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_redis("the Celery broker")
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    shutil.copy(PG_CONFIG, home / "dagster.yaml")
    # The shipped config, with this test's own key prefix in Redis: another worker listening
    # on the same Redis never takes these steps, nor this worker theirs.
    config = yaml.safe_load(CELERY_CONFIG.read_text())
    prefix = f"sec_test_{uuid.uuid4().hex[:8]}:"
    source = config["execution"]["config"]["config_source"]
    source["broker_transport_options"]["global_keyprefix"] = prefix
    source["result_backend_transport_options"] = {"global_keyprefix": prefix}
    run_config_path = tmp_path / "celery.yaml"
    run_config_path.write_text(yaml.safe_dump(config))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        DAGSTER_PG_URL=pg_database,
        DAGSTER_CELERY_BROKER_URL=f"{REDIS}/0",
        DAGSTER_CELERY_BACKEND_URL=f"{REDIS}/0",
        PYTHONPATH=str(REPO),  # the worker imports this module to rebuild the job
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        SEC_BASE_URL=sim.base_url,
        SEC_DATA_DIR=str(data),
        SEC_HOURS_PER_DAY="1",
        SEC_REQUESTS_PER_SECOND="500",
    )
    for name in ("DAGSTER_PG_URL", "DAGSTER_CELERY_BROKER_URL", "DAGSTER_CELERY_BACKEND_URL"):
        monkeypatch.setenv(name, env[name])  # the run config and instance, read here too

    log_path = tmp_path / "worker.log"
    with (
        dg.DagsterInstance.from_config(str(home)) as instance,  # tables before the worker
        open(log_path, "wb") as log,
    ):
        worker = subprocess.Popen(
            [*WORKER, "-y", str(run_config_path), "-n", prefix[:-1], "--", *WORKER_OPTIONS],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_ready(worker, log_path)
            started = time.monotonic()
            result = dg.execute_job(
                dg.reconstructable(bronze_on_celery),
                instance=instance,
                run_config=yaml.safe_load(run_config_path.read_text()),
                tags={"dagster/partition": "2024-08"},
            )
            elapsed = time.monotonic() - started
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            # Each step was executed by the worker, not here.
            handed = [
                e
                for e in result.all_events
                if e.event_type_value == "ENGINE_EVENT" and "in celery worker" in (e.message or "")
            ]
            assert {e.step_key for e in handed} == {"sec_snapshots", "sec_customers"}
            run = instance.get_run_by_id(result.run_id)
            assert run is not None and run.is_success
            print(f"\ncelery run: {elapsed:.1f} s")
        finally:
            stop(worker)
            forget(prefix)

    snaps = BronzeStore(data / "bronze", "sec_snapshots").versions("2024-08")
    assert len(snaps) == 31 + 1  # one hour a day, and the server time
    customers = BronzeStore(data / "bronze", "sec_customers").versions("2024-08")
    assert len(customers) == 17  # 16 regions and the national total

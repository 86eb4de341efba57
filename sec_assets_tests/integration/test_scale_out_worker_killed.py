"""A dagster-celery worker killed mid-month: two workers, each with its own empty
``SEC_DATA_DIR`` and process group, sharing only an S3 server (moto on loopback: bronze),
Postgres (the instance) and Redis (broker, results, and the client's state with its month
lock), run a month of ``sec_snapshots``. Mid-month the worker collecting it dies:

- ``machine``: its whole process group is killed. Nothing reports; the step's message,
  acknowledged only when a step ends (``config/celery.yaml``), returns to the queue after the
  broker's visibility timeout and the other worker takes it;
- ``process``: only the process running the step is killed (as the OOM killer does); the
  worker sees it and sends the step again (``task_retry_on_worker_lost``).

Either way the run completes once the dead process's month lock has lapsed: every object in
the bucket whole, one answer per hour, and nothing already stored asked again."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest
import yaml

from sec_assets import objects
from sec_assets.bronze.assets import sec_snapshots
from sec_assets.bronze.resources import BronzeResource
from sec_assets.bronze.store import open_store
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation
from sec_assets.sec_client.resource import SecClientResource
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
from sec_assets_tests.s3_server import covered_hours, s3_server, whole_envelopes
from sec_assets_tests.state_stores import forget_redis
from sec_sim import SimConfig, run_simulator

pytestmark = pytest.mark.deployment

dagster_celery = pytest.importorskip("dagster_celery", reason="dagster-celery is not installed")

REPO = Path(__file__).resolve().parents[2]
MONTH = Month(2024, 8)
HOURS_PER_DAY = 6  # 186 hours
RATE = 6  # requests per second for every machine together: ~30 s for the month
KILL_AFTER = 40  # objects in the bucket when the collecting worker dies
STATE_DB = f"{REDIS}/2"
# Short leases so that the test waits seconds, not the shipped hours: the broker's hold on an
# unacknowledged step (longer than the time to the kill, so that only one worker has the step
# before it) swept every second, and the delay before a step is sent again. The month lock's
# lease outlasts that delay: a step sent again waits for the dead process's lock to lapse.
TRANSPORT = {"unacked_restore_interval": 1, "unacked_restore_throttle": 1}
# The broker's hold per fault. A lost machine's step comes back after it (and the step's second
# delivery must end within it: ~35 s of the month left). A lost pool process's step is sent
# again by its worker at once, while the first delivery stays unacknowledged: a hold shorter
# than the step would deliver it a third time, which the shipped 6 hours keep beyond any step.
VISIBILITY_S = {"machine": 60, "process": 900}
RETRY_DELAY = {"execute_plan": {"default_retry_delay": 1}}
LOCK_TTL_S = 20


def snapshots_on_celery() -> dg.JobDefinition:
    """A month's snapshots as a job whose step runs on a Celery worker (module level: the
    workers rebuild it by name)."""
    job = dg.define_asset_job(
        "snapshots_on_celery",
        selection=[sec_snapshots],
        executor_def=dagster_celery.celery_executor,
    )
    defs = dg.Definitions(
        assets=[sec_snapshots],
        jobs=[job],
        resources={"sec_client": SecClientResource(), "bronze": BronzeResource()},
    )
    return defs.resolve_job_def("snapshots_on_celery")


def received(log: Path) -> bool:
    """The worker's log says it took the step's task."""
    return re.search(rb"execute_plan\[[0-9a-f-]+\] received", log.read_bytes()) is not None


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:  # ended meanwhile
            continue
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def kill(worker: subprocess.Popen, fault: str) -> None:
    if fault == "machine":
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        return
    # The CLI runs the Celery main process, whose children are the pool's processes.
    pool = [child for main in children(worker.pid) for child in children(main)]
    assert len(pool) == 1, pool  # --concurrency=1
    os.kill(pool[0], signal.SIGKILL)


def stop_alive(worker: subprocess.Popen) -> None:
    if worker.poll() is None:  # the killed one is gone already
        stop(worker)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
@pytest.mark.timeout(420)  # under two minutes each on a busy 2-core machine
@pytest.mark.parametrize("fault", ["machine", "process"])
def test_a_worker_killed_mid_month_leaves_a_whole_month(
    fault: str, tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_redis("the Celery broker")
    prefix = f"sec_test_{uuid.uuid4().hex[:8]}:"
    namespace = prefix.rstrip(":")
    config = yaml.safe_load(CELERY_CONFIG.read_text())
    source = config["execution"]["config"]["config_source"]
    # What lets the step outlive its worker, as shipped.
    assert source["task_acks_late"] is True and source["task_retry_on_worker_lost"] is True
    source["task_annotations"] = RETRY_DELAY
    source["broker_transport_options"].update(
        TRANSPORT, visibility_timeout=VISIBILITY_S[fault], global_keyprefix=prefix
    )
    source["result_backend_transport_options"] = {"global_keyprefix": prefix}
    run_config_path = tmp_path / "celery.yaml"
    run_config_path.write_text(yaml.safe_dump(config))

    with ExitStack() as stack:
        s3 = stack.enter_context(s3_server())
        sim = stack.enter_context(run_simulator(SimConfig(seed=3)))
        stack.callback(forget, prefix)
        stack.callback(forget_redis, namespace, STATE_DB)
        url = s3.bucket()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
        base.update(
            s3.env(),
            DAGSTER_PG_URL=pg_database,
            DAGSTER_CELERY_BROKER_URL=f"{REDIS}/0",
            DAGSTER_CELERY_BACKEND_URL=f"{REDIS}/0",
            PYTHONPATH=str(REPO),
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            SEC_BASE_URL=sim.base_url,
            SEC_BRONZE_URL=url,
            SEC_STATE_URL=STATE_DB,
            SEC_STATE_NAMESPACE=namespace,
            SEC_STATE_LOCK_TTL_S=str(LOCK_TTL_S),
            SEC_HOURS_PER_DAY=str(HOURS_PER_DAY),
            SEC_REQUESTS_PER_SECOND=str(RATE),
            SEC_BACKOFF_INITIAL_S="0.05",
        )
        for name in ("DAGSTER_PG_URL", "DAGSTER_CELERY_BROKER_URL", "DAGSTER_CELERY_BACKEND_URL"):
            monkeypatch.setenv(name, base[name])
        launcher_home = tmp_path / "launcher_home"
        launcher_home.mkdir()
        shutil.copy(PG_CONFIG, launcher_home / "dagster.yaml")
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(launcher_home)))

        machines: list[tuple[subprocess.Popen, Path]] = []
        for i in range(2):  # a machine: its own home, data folder and process group
            home, data = tmp_path / f"m{i}" / "home", tmp_path / f"m{i}" / "data"
            home.mkdir(parents=True)
            shutil.copy(PG_CONFIG, home / "dagster.yaml")
            env = {**base, "DAGSTER_HOME": str(home), "SEC_DATA_DIR": str(data)}
            log = tmp_path / f"m{i}" / "worker.log"
            options = [*WORKER_OPTIONS[1:], "--concurrency=1"]
            worker = subprocess.Popen(
                [*WORKER, "-y", str(run_config_path), "-n", f"{prefix}w{i}", "--", *options],
                env=env,
                cwd=REPO,
                stdout=stack.enter_context(open(log, "wb")),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(stop_alive, worker)
            machines.append((worker, log))
        for worker, log in machines:
            wait_until_ready(worker, log, timeout_s=120)

        launcher = stack.enter_context(ThreadPoolExecutor(1))
        run = launcher.submit(
            dg.execute_job,
            dg.reconstructable(snapshots_on_celery),
            instance=instance,
            run_config=yaml.safe_load(run_config_path.read_text()),
            tags={"dagster/partition": MONTH.label},
        )
        deadline = time.monotonic() + 180
        while len(objects.list_sizes(url, "sec_snapshots/")) < KILL_AFTER:
            assert not run.done(), "the run ended before a worker could be killed"
            assert time.monotonic() < deadline, "the bucket stayed empty"
            time.sleep(0.2)
        collecting = [m for m in machines if received(m[1])]
        assert len(collecting) == 1, "one worker holds the step"
        victim, victim_log = collecting[0]
        other_log = next(log for _, log in machines if log != victim_log)
        kill(victim, fault)
        killed_at = time.monotonic()
        stored_at_kill, covered_at_kill = (
            whole_envelopes(url),
            covered_hours(url, tmp_path / "view", MONTH.label),
        )
        sim.reset_log()

        result = run.result(timeout=300)
        resumed_after = time.monotonic() - killed_at
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        if fault == "machine":  # the other worker finished the step
            assert victim.poll() is not None and received(other_log)
        asked_after = {k for m, k, _ in sim.request_log() if m == "GetPorFecha" and k}
        versions = open_store(ObjectLocation(url, tmp_path / "check"), "sec_snapshots").versions(
            MONTH.label
        )
        stored = whole_envelopes(url)
        records = instance.all_logs(result.run_id)
        events = [r.dagster_event for r in records if r.dagster_event]
        waited = any("collecting this month; waiting" in r.user_message for r in records)
        handed = [  # the step's start on a worker, with the worker's name
            e.engine_event_data.metadata["Celery worker"].value
            for e in events
            if e.event_type_value == "ENGINE_EVENT" and "in celery worker" in (e.message or "")
        ]
        kinds = [e.event_type_value for e in events if e.step_key == "sec_snapshots"]

    hours = {h.key for h in MONTH.hours(HOURS_PER_DAY)}
    # Started twice (after a lost machine, on the other worker); finished once.
    assert len(handed) == 2 and (len(set(handed)) == 2 or fault == "process"), handed
    assert kinds.count("STEP_SUCCESS") == 1 and "STEP_FAILURE" not in kinds
    assert kinds.count("ASSET_MATERIALIZATION") == 1
    # Sent again at once, the step waited for the lock; after the visibility timeout it had lapsed.
    assert waited == (fault == "process")
    assert KILL_AFTER <= len(covered_at_kill) < len(hours) and stored_at_kill < stored
    # The step, started again, asked only for what the bucket lacked.
    assert asked_after and not asked_after & covered_at_kill
    assert all(versions.get(h) == 1 for h in hours), "one valid answer per hour"
    done = f"{len(covered_at_kill)}/{len(hours)} hours"
    print(f"\n{fault} killed at {done}; the run ended {resumed_after:.1f} s later")

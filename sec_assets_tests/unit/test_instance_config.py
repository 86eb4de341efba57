"""The shipped instance settings (``config/dagster.yaml``, ``config/dagster_postgres.yaml``) are
valid for the installed Dagster and launch a backfill's runs without serial waits: queued runs
dequeued from threads every second, backfill runs submitted from threads."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

CONFIG = Path(__file__).resolve().parents[2] / "config"
SHIPPED = ["dagster.yaml", "dagster_postgres.yaml"]


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_settings_pass_dagsters_own_schema(name: str, tmp_path: Path) -> None:
    shutil.copy(CONFIG / name, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}


@pytest.mark.parametrize("name", SHIPPED)
def test_a_backfills_runs_are_launched_from_threads(name: str) -> None:
    settings = yaml.safe_load((CONFIG / name).read_text())
    queue, backfills = settings["run_queue"], settings["backfills"]
    assert queue["max_concurrent_runs"] == 4
    assert queue["dequeue_use_threads"] is True and queue["dequeue_num_workers"] >= 2
    assert queue["dequeue_interval_seconds"] == 1
    assert backfills["use_threads"] is True and backfills["num_submit_workers"] >= 2


def test_the_sqlite_instance_runs_its_queue_that_way(tmp_path: Path) -> None:
    shutil.copy(CONFIG / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        assert coordinator.dequeue_use_threads and coordinator.dequeue_interval_seconds == 1
        assert instance.get_backfill_settings()["num_submit_workers"] == 4
        assert instance.run_retries_enabled


@pytest.mark.parametrize("name", SHIPPED)
def test_runs_are_launched_by_the_warm_launcher(name: str) -> None:
    from dagster._serdes.config_class import ConfigurableClassData

    from sec_assets.deploy.warm_launcher import WarmRunLauncher

    launcher = yaml.safe_load((CONFIG / name).read_text())["run_launcher"]
    data = ConfigurableClassData(launcher["module"], launcher["class"], yaml.safe_dump({}))
    loaded = data.rehydrate(WarmRunLauncher)
    assert isinstance(loaded, WarmRunLauncher)
    assert loaded._module == "sec_assets.definitions"  # the code location of workspace.yaml


def test_the_sqlite_instance_has_the_warm_launcher(tmp_path: Path) -> None:
    from sec_assets.deploy.warm_launcher import WarmRunLauncher

    shutil.copy(CONFIG / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, WarmRunLauncher) and launcher.supports_check_run_worker_health

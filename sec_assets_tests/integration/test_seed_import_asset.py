"""``sec_seed_import`` (the ``import_seed`` job) on archives in the seed's own shapes:
``dagster job execute`` is green on the seed's year file and fails, with the counts, on a mostly
unusable one or a month the archives do not hold; the counts are observed on the asset either
way; the multi-year dataset is read when no year file is there."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.import_job import import_seed
from sec_assets.resource_settings import SETTINGS_KEY
from sec_assets.resources import local_resources
from sec_assets_tests.cli import run_job
from sec_assets_tests.integration.test_seed_shapes import (
    POINT_LIST,
    YEAR_FILE,
    _envelopes,
    _mostly_unusable,
)
from sec_sim.seed_archive import write_dataset


def _run_in_process(tmp_path: Path, archive_dir: Path, month: str) -> dg.ExecuteInProcessResult:
    config = {"ops": {"sec_seed_import": {"config": {"archive_dir": str(archive_dir)}}}}
    return import_seed.execute_in_process(
        partition_key=month,
        resources=local_resources(tmp_path / "data"),
        run_config=config,
        raise_on_error=False,
    )


def _observed(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = result.get_asset_observation_events()
    return event.asset_observation_data.asset_observation.metadata


def _dagster_env(tmp_path: Path, archive_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    (tmp_path / "home").mkdir()
    env.update(
        DAGSTER_HOME=str(tmp_path / "home"),
        SEC_DATA_DIR=str(tmp_path / "data"),
        SEC_SEED_ARCHIVE_DIR=str(archive_dir),
    )
    return env


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_dagster_materializes_a_month_of_the_seeds_year_file(tmp_path: Path):
    archives = tmp_path / "outputs"
    archives.mkdir()
    shutil.copy(YEAR_FILE, archives)
    write_dataset(archives / "dataset_2017_2025.json", {2024: []})  # ignored: a checkpoint is there
    proc = run_job("import_seed", env=_dagster_env(tmp_path, archives), partition="2024-08")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    docs = _envelopes(tmp_path / "data")
    assert len(docs) == 8 and {d["imported"]["source_file"] for d in docs.values()} == {
        "checkpoint_2024.json"
    }


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_dagster_fails_a_month_whose_archive_is_mostly_unusable(tmp_path: Path):
    archives = tmp_path / "outputs"
    _mostly_unusable(archives / "checkpoint_2024.json")
    proc = run_job("import_seed", env=_dagster_env(tmp_path, archives), partition="2024-08")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    assert "6 of 8 points unusable" in output and "no_date 6" in output
    assert len(_envelopes(tmp_path / "data")) == 2  # the usable points are stored


def test_in_process_failure_still_observes_the_counts(tmp_path: Path):
    archive = _mostly_unusable(tmp_path / "outputs" / "checkpoint_2024.json")
    result = _run_in_process(tmp_path, archive.parent, "2024-08")
    assert not result.success
    meta = _observed(result)
    assert meta["points_read"].value == 8 and meta["imported"].value == 2
    assert meta["rejected_by_reason"].value == {"no_date": 6}


def test_a_month_the_archives_do_not_hold_fails_instead_of_importing_nothing(tmp_path: Path):
    archives = tmp_path / "outputs"
    archives.mkdir()
    shutil.copy(YEAR_FILE, archives)
    result = _run_in_process(tmp_path, archives, "2024-09")
    assert not result.success
    assert _observed(result)["points_read"].value == 8  # read, all of August
    failure = result.failure_data_for_node("sec_seed_import")
    assert "hold no point of 2024-09" in str(failure.error.message)


def test_the_multi_year_dataset_is_read_when_no_year_file_is_there(tmp_path: Path):
    import orjson

    archives = tmp_path / "outputs"
    archives.mkdir()
    points = orjson.loads(POINT_LIST.read_bytes())
    write_dataset(archives / "dataset_2017_2025.json", {2023: [], 2024: points})
    result = _run_in_process(tmp_path, archives, "2024-08")
    assert result.success
    meta = result.asset_materializations_for_node("sec_seed_import")[0].metadata
    assert meta["imported"].value == 4 and meta["sources"].value[0]["layout"] == "data_by_year"
    settings = {r.data["setting"]: r.data for r in meta[SETTINGS_KEY].records}
    assert settings["seed_max_rejected_share"]["variable"] == "SEC_SEED_MAX_REJECTED_SHARE"
    assert settings["hours_per_day"]["resource"] == "BronzeResource"
    assert sorted(_envelopes(tmp_path / "data")) == [f"2024-08-03T{h:02d}" for h in (0, 6, 12, 18)]

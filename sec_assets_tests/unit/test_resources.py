"""One storage resource: every resource takes data_dir from it, and nothing else sets it."""

import os
from pathlib import Path

import dagster as dg

from sec_assets.bronze.resources import BronzeResource
from sec_assets.resources import local_resources


def test_every_resource_stores_under_the_one_data_dir(tmp_path: Path) -> None:
    resources = local_resources(tmp_path, hours_per_day=4, pg_dsn=None, base_url="http://x")
    storage = resources["storage"]
    assert resources["bronze"].storage is storage and resources["warehouse"].storage is storage
    assert resources["sec_client"].storage is storage and resources["dashboard"].storage is storage
    assert resources["bronze"].settings.data_dir == tmp_path
    assert resources["warehouse"].settings.data_dir == tmp_path
    assert resources["sec_client"].breaker().path.parent == tmp_path / "state"
    assert resources["dashboard"].settings.data_dir == tmp_path
    assert resources["bronze"].settings.hours_per_day == 4


def test_nested_data_dir_counts_as_resource_config(tmp_path: Path) -> None:
    """The run-start settings line says where data_dir came from."""
    explicit = local_resources(tmp_path)["bronze"].explicit_settings()
    assert explicit == {"data_dir": str(tmp_path)}
    assert BronzeResource(hours_per_day=2).explicit_settings() == {"hours_per_day": 2}


def test_unset_storage_reads_the_environment_when_used() -> None:
    env = Path(os.environ["SEC_DATA_DIR"])  # a tmp dir, set by conftest
    assert BronzeResource().settings.data_dir == env
    assert local_resources()["warehouse"].settings.data_dir == env


def test_an_asset_sees_the_storage_it_was_given(tmp_path: Path) -> None:
    seen: dict[str, Path] = {}

    @dg.asset
    def probe(bronze: BronzeResource) -> None:
        seen["root"] = bronze.store("sec_snapshots").root

    assert dg.materialize([probe], resources=local_resources(tmp_path)).success
    assert seen["root"] == tmp_path / "bronze" / "sec_snapshots"

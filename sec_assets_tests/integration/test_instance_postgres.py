"""A partitioned materialization on a Postgres-backed Dagster instance (dagster-postgres, the
storage config/dagster_postgres.yaml selects): its run and events are found there."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.resources import local_resources

CONFIG = Path(__file__).resolve().parents[2] / "config" / "dagster_postgres.yaml"


def test_partitioned_run_is_stored_in_postgres(
    sim, tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(CONFIG, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", pg_database)
    data = tmp_path / "data"
    resources = local_resources(
        data, base_url=sim.base_url, hours_per_day=1, requests_per_second=2000, max_concurrency=8
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize(
            [sec_snapshots], partition_key="2024-08", resources=resources, instance=instance
        )
        assert result.success
    # A fresh instance on the same database sees the run, its partition and its events.
    with dg.DagsterInstance.from_config(str(home)) as again:
        run = again.get_run_by_id(result.run_id)
        assert run is not None and run.is_success
        assert run.tags.get("dagster/partition") == "2024-08"
        record = again.fetch_materializations(dg.AssetKey("sec_snapshots"), limit=1).records[0]
        assert record.partition_key == "2024-08" and record.run_id == result.run_id
        mat = record.asset_materialization
        assert mat is not None and mat.metadata["hours_covered"].value == 31

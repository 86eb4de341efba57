"""``sec_snapshots``' counts are what the month holds after the run (every hour's newest valid
answer); what the run itself fetched is ``rows_fetched_this_run``. Real simulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.resources import local_resources


def _metadata(sim, data_dir: Path) -> dict[str, object]:
    result = dg.materialize(
        [sec_snapshots],
        partition_key="2024-08",
        resources=local_resources(
            data_dir,
            base_url=sim.base_url,
            hours_per_day=4,
            requests_per_second=2000,
            max_attempts=3,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
            read_timeout_s=60,
        ),
    )
    assert result.success
    [mat] = result.asset_materializations_for_node("sec_snapshots")
    return {k: v.value for k, v in mat.metadata.items()}


def test_a_rerun_that_fetches_nothing_reports_the_whole_month(sim, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _metadata(sim, data)
    assert first["hours_fetched"] == 124
    assert first["dagster/row_count"] == first["rows"] == first["rows_fetched_this_run"] > 124
    assert first["customers"] == first["customers_fetched_this_run"] > 0

    again = _metadata(sim, data)
    assert again["hours_fetched"] == 0
    assert again["rows_fetched_this_run"] == again["customers_fetched_this_run"] == 0
    assert again["dagster/row_count"] == again["rows"] == first["rows"]
    assert again["customers"] == first["customers"]

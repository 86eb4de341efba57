"""The file fallback keeps the same hygiene as Supabase: one folder per table, and ids no
longer published are deleted."""

from __future__ import annotations

from pathlib import Path

from sec_assets.resources import local_resources


def test_files_go_per_table_and_stale_ids_are_removed(tmp_path: Path) -> None:
    resource = local_resources(tmp_path)["dashboard"]
    folder = tmp_path / "gold" / "dashboard_stats"
    folder.mkdir(parents=True)
    (folder / "reliability_indices.json").write_text("{}")
    report = resource.publish({"time_series": [1]}, table="dashboard_stats", prune=True)
    assert report.removed == ["reliability_indices"]
    assert sorted(p.name for p in folder.iterdir()) == ["time_series.json"]
    research = resource.publish({"data_coverage": []}, table="research_stats", prune=True)
    assert research.location == str(tmp_path / "gold" / "research_stats")
    assert (tmp_path / "gold" / "research_stats" / "data_coverage.json").is_file()


def test_without_prune_nothing_is_removed(tmp_path: Path) -> None:
    resource = local_resources(tmp_path)["dashboard"]
    resource.publish({"a": 1, "b": 2})
    report = resource.publish({"a": 1})
    assert report.removed == []
    assert (tmp_path / "gold" / "dashboard_stats" / "b.json").is_file()

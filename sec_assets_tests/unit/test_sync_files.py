"""The JSON-file fallback: one ``<id>.json`` per payload, the table row's envelope, written
atomically (a failed write leaves the previous file and no temp file behind)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from sec_assets.files import atomic_write
from sec_assets.gold.sync import DashboardSinkResource, PublishReport
from sec_assets.gold.sync.files import JsonFileSink
from sec_assets.gold.sync.publisher import publish_payloads
from sec_assets.resources import local_resources

NOW = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)


def read(path: Path) -> dict:
    return orjson.loads(path.read_bytes())


def test_the_resource_without_supabase_writes_files_under_sec_data_dir(tmp_path: Path) -> None:
    # conftest points SEC_DATA_DIR at tmp_path/data and clears SUPABASE_*.
    folder = tmp_path / "data" / "gold" / "dashboard_stats"
    payloads = {
        "market_map": [{"region": "RM", "dia": date(2024, 2, 29), "clientes": Decimal("12.5")}],
        "data_coverage": {"months": 3, "ratio": float("nan")},
    }
    report = DashboardSinkResource().publish(payloads)
    assert report == PublishReport(
        target="files", location=str(folder), published=["market_map", "data_coverage"]
    )
    assert sorted(p.name for p in folder.iterdir()) == ["data_coverage.json", "market_map.json"]
    row = read(folder / "market_map.json")
    assert set(row) == {"id", "data", "updated_at"}
    assert row["id"] == "market_map"
    assert row["data"] == [{"region": "RM", "dia": "2024-02-29", "clientes": 12.5}]
    assert datetime.fromisoformat(row["updated_at"]).utcoffset() is not None
    assert read(folder / "data_coverage.json")["data"] == {"months": 3, "ratio": None}


def test_storage_data_dir_wins_and_rewrites_replace_the_file(tmp_path: Path) -> None:
    resource = local_resources(tmp_path / "other")["dashboard"]
    resource.publish({"time_series": [1]})
    resource.publish({"time_series": [2]})
    path = tmp_path / "other" / "gold" / "dashboard_stats" / "time_series.json"
    assert read(path)["data"] == [2]
    assert [p.name for p in path.parent.iterdir()] == ["time_series.json"]


def test_the_envelope_is_the_table_row(tmp_path: Path) -> None:
    report = publish_payloads({"company_ranking": []}, JsonFileSink(tmp_path), now=NOW)
    assert report.published == ["company_ranking"]
    assert read(tmp_path / "company_ranking.json") == {
        "id": "company_ranking",
        "data": [],
        "updated_at": "2024-03-01T12:30:00+00:00",
    }


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "market_map.json"
    atomic_write(path, b'{"old": true}')

    def broken_replace(src: str | os.PathLike, dst: str | os.PathLike) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, b'{"new": true}')
    assert path.read_bytes() == b'{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["market_map.json"]


def test_the_write_goes_through_a_sibling_temp_file_and_a_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
        renames.append((Path(src), Path(dst)))
        assert Path(src).read_bytes().startswith(b'{"id":"market_map"')
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    publish_payloads({"market_map": [1]}, JsonFileSink(tmp_path), now=NOW)
    [(src, dst)] = renames
    assert dst == tmp_path / "market_map.json"
    assert src.parent == dst.parent and src.name.startswith(".market_map.json.")
    assert not src.exists()


@pytest.mark.parametrize(
    ("payload_id", "why"),
    [
        ("../escape", "path separator"),
        ("a/b", "path separator"),
        (".hidden", "dot first: would be hidden, and '..' is a parent"),
        ("", "empty"),
        ("x" * 200, "too long"),
    ],
)
def test_ids_that_are_not_safe_file_names_fail_alone(
    tmp_path: Path, payload_id: str, why: str
) -> None:
    report = publish_payloads({payload_id: [], "market_map": []}, JsonFileSink(tmp_path / "out"))
    assert list(report.failed) == [payload_id], why
    assert "invalid payload id" in report.failed[payload_id]
    assert report.published == ["market_map"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["market_map.json"]


def test_data_that_is_not_json_fails_alone(tmp_path: Path) -> None:
    report = publish_payloads({"bad": [object()], "good": [1]}, JsonFileSink(tmp_path))
    assert report.published == ["good"]
    assert "not JSON serializable" in report.failed["bad"]

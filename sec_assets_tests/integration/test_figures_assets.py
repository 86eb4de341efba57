"""Figures through Dagster: a month imported from a seed archive goes through silver, its
materialization carries the month's picture (and writes it beside the golden Parquet); the
gold figures asset writes PNG and SVG of each figure; an empty warehouse draws empty states."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from sec_assets.bronze.importer import import_archive
from sec_assets.gold.figures import FIGURES
from sec_assets.month import Month
from sec_assets.plotting import png_width
from sec_assets.resources import Resources, local_resources
from sec_assets.silver.figures import month_picture, picture_path
from sec_sim import SimConfig
from sec_sim.seed_archive import metadata_of, sim_points, write_archive
from sec_sim.service import SimService
from sec_tools.demo import run_selection

PNG = b"\x89PNG\r\n\x1a\n"
DIMS = ["dim_geografia", "dim_empresa", "dim_tiempo"]


def _resources(data: Path) -> Resources:
    return local_resources(data, hours_per_day=4)


def _widths(markdown: str) -> list[int]:
    """The pixel width of every inline PNG of a markdown entry."""
    uris = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", markdown)
    return [png_width(base64.b64decode(uri)) for uri in uris]


def _materialization(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in mat.metadata.items()}
    raise AssertionError(f"{asset} not materialized")


@pytest.mark.timeout(600)
def test_month_picture_and_gold_figures(tmp_path: Path):
    data = tmp_path / "data"
    points = list(sim_points(SimService(SimConfig(seed=9)), 2024, 8, failed=["2024-08-04T06"]))
    archive = tmp_path / "checkpoint_2024.json"
    write_archive(archive, points, metadata_of(points, 2024))
    import_archive(archive, data)
    resources = _resources(data)
    assert run_selection(DIMS, resources).success
    month = run_selection(
        ["snapshot_ledger", "fact_interrupciones", "fact_eventos"],
        resources,
        partition="2024-08",
    )
    meta = _materialization(month, "fact_eventos")
    assert meta["month_picture"].startswith("![2024-08 hour by hour](data:image/png;base64,")
    assert _widths(meta["month_picture"]) == [1000]  # readable in the UI, not a thumbnail
    path = picture_path(data, Month(2024, 8))
    assert meta["month_picture_path"] == str(path) and path.read_bytes().startswith(PNG)

    gold = run_selection(["figures"], resources)
    assert gold.success
    files = _materialization(gold, "figures")["files"]
    assert set(files) == set(FIGURES)
    for png, svg in files.values():
        assert Path(png).parent == data / "gold" / "figures"
        assert Path(png).read_bytes().startswith(PNG) and Path(png).stat().st_size > 5000
        assert b"<svg" in Path(svg).read_bytes()[:400]
    previews = _materialization(gold, "figures")["previews"]
    assert previews.count("data:image/png;base64,") == 4
    assert _widths(previews) == [1000] * 4
    settings = _materialization(gold, "figures")["settings in force"]
    shown = {(r.data["setting"], r.data["source"]) for r in settings.records}
    assert shown == {("pg_dsn", "default"), ("data_dir", "resource config")}


def test_empty_warehouse_draws_empty_states(tmp_path: Path):
    data = tmp_path / "data"
    resources = _resources(data)
    gold = run_selection(["figures"], resources)
    assert gold.success
    for png, _ in _materialization(gold, "figures")["files"].values():
        assert Path(png).read_bytes().startswith(PNG)
    wh = resources["warehouse"].get_warehouse()
    png, path = month_picture(wh, data, Month(2019, 3))  # a month with no data at all
    assert png.startswith(PNG) and path.exists()

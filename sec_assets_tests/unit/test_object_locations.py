"""Where bronze and the golden files live: a folder by default, an object-store URL when set;
one cache folder per URL; the store each location opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from sec_assets.bronze.object_store import ObjectBronzeStore
from sec_assets.bronze.store import BronzeStore, open_store
from sec_assets.objects import ObjectLocation, is_object_url
from sec_assets.settings import load_settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "default"),
        ("", "default"),
        ("/srv/sec/bronze", Path("/srv/sec/bronze")),
        ("file:///srv/sec/bronze", Path("/srv/sec/bronze")),
        ("s3://bucket/sec/bronze/", "s3://bucket/sec/bronze"),
        ("gs://bucket/bronze", "gs://bucket/bronze"),
        ("az://container/bronze", "az://container/bronze"),
    ],
)
def test_bronze_and_gold_locations(value: str | None, expected: object, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, bronze_url=value, gold_url=value)
    for got, default in [
        (settings.bronze_root, tmp_path / "bronze"),
        (settings.gold_root, tmp_path / "gold"),
    ]:
        if expected == "default":
            assert got == default
        elif isinstance(expected, Path):
            assert got == expected
        else:
            assert got == ObjectLocation(str(expected), tmp_path / "cache")


def test_each_url_has_its_own_cache_and_store(tmp_path: Path) -> None:
    a, b = ObjectLocation("s3://one/p", tmp_path), ObjectLocation("s3://two/p", tmp_path)
    assert a.cache != b.cache and a.cache.parent == tmp_path
    assert a.url_of("sec_snapshots/month=2024-08/") == "s3://one/p/sec_snapshots/month=2024-08/"
    store = open_store(a, "sec_snapshots")
    assert isinstance(store, ObjectBronzeStore) and store.root == a.cache / "sec_snapshots"
    assert store.month_url("2024-08") == "s3://one/p/sec_snapshots/month=2024-08/"
    assert type(open_store(tmp_path, "sec_snapshots")) is BronzeStore
    assert isinstance(open_store("s3://one/p", "sec_customers"), ObjectBronzeStore)
    assert not is_object_url("/srv/s3://x") and not is_object_url(Path("s3:/x"))

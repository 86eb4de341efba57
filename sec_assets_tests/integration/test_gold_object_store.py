"""The golden files on a real S3 HTTP API (moto's server on loopback): published where
``SEC_GOLD_URL`` says, read from there by Polars directly, withdrawn with the local file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from sec_assets import objects
from sec_assets.gold import local_files, publish
from sec_assets.month import Month
from sec_assets.settings import load_settings
from sec_assets_tests.s3_server import S3Server, s3_server

MONTH = Month(2024, 8)


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def test_golden_parquet_is_published_and_read_from_the_bucket(s3: S3Server, tmp_path: Path):
    url = s3.bucket("gold")
    settings = load_settings(data_dir=tmp_path / "data", gold_url=url)
    frame = pl.DataFrame({"evento_id": ["a", "b"], "clientes_peak": [10, 2_000]})
    path = local_files.write_golden_month(settings.data_dir, MONTH, frame)

    where = publish.publish(settings, path)

    key = "parquet/fact_eventos/year=2024/month=08/data.parquet"
    assert where == f"{url}/{key}" and objects.get(url, key) == path.read_bytes()
    options = {
        "aws_endpoint_url": s3.endpoint,
        "aws_allow_http": "true",
        "aws_region": "us-east-1",
        "aws_access_key_id": s3.env()["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": s3.env()["AWS_SECRET_ACCESS_KEY"],
    }
    read = pl.read_parquet(f"{url}/parquet/fact_eventos/**/*.parquet", storage_options=options)
    assert read.equals(frame)

    local_files.remove_golden_month(settings.data_dir, MONTH)
    publish.withdraw(settings, path)
    assert objects.list_sizes(url, "parquet/") == {}


def test_unset_gold_url_keeps_the_local_files_only(tmp_path: Path):
    settings = load_settings(data_dir=tmp_path / "data")
    path = local_files.write_golden_month(settings.data_dir, MONTH, pl.DataFrame({"a": [1]}))
    assert publish.publish(settings, path) == str(path)
    assert publish.where(settings, path.parent) == str(path.parent)

"""A month collected for real from the simulator (plus a failed try and a non-UTF-8 body),
archived, restored: every file byte-identical and silver rebuilt identically. And the Dagster
asset: what it archives, what it leaves hot, what it reports."""

import asyncio
import hashlib
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from sec_assets.bronze.archive import (
    ArchivedMonth,
    archive_due,
    cutoff_month,
    month_store,
    restore_month,
)
from sec_assets.bronze.archive_job import archive_bronze
from sec_assets.bronze.collect import collect_month, plan_month, utc_now
from sec_assets.bronze.customers import collect_customers
from sec_assets.bronze.store import BronzeStore
from sec_assets.masterdata import regions
from sec_assets.month import Month
from sec_assets.resources import local_resources
from sec_assets.sec_client.breaker import CircuitBreaker
from sec_assets.sec_client.client import Attempt, SecClient
from sec_assets.silver.bronze_reader import read_month
from sec_assets.silver.customers import region_customers
from sec_assets.silver.transform import build_month
from sec_assets_tests.conftest import fast_settings
from sec_sim import SimConfig, run_simulator

MONTH, START = "2024-08", date(2024, 8, 1)
NOW = datetime(2025, 11, 20, 12, tzinfo=UTC)  # 2024-08 is 15 months back
DATASETS = ("sec_snapshots", "sec_customers")


def _crafted(key: str, body: bytes | None, outcome: str, at: datetime) -> Attempt:
    status = 503 if outcome.startswith("http") else 200
    return Attempt(
        "GetPorFecha", "http://sim/GetPorFecha", {"anho": 2024, "mes": 8}, key, 1, at, 3.0,
        status, {"content-type": "text/html"}, body, outcome, error=f"{outcome} (crafted)",
    )  # fmt: skip


@pytest.fixture(scope="module")
def bronze_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<data>/bronze`` with 2024-08 at 4 hours a day from the simulator, collected once."""
    data = tmp_path_factory.mktemp("archive_src")
    root = data / "bronze"
    snaps, custs = (BronzeStore(root, ds) for ds in DATASETS)
    with run_simulator(SimConfig(seed=3)) as sim:
        # read timeout far above a loaded machine's first answers (issue 9.7)
        settings = fast_settings(sim.base_url, data_dir=data, read_timeout_s=60)

        async def run() -> None:
            async with SecClient(settings, CircuitBreaker(data / "breaker.json")) as client:
                plan = plan_month(Month.containing(START), snaps, now=NOW, hours_per_day=4)
                await collect_month(plan, client, snaps)
                await collect_customers(MONTH, regions(), client, custs)

        asyncio.run(run())
    good = snaps.latest_good(MONTH)["2024-08-10T12"].fetched_at
    snaps.write(
        MONTH,
        _crafted("2024-08-10T12", b"<html>busy</html>", "http_503", good - timedelta(seconds=5)),
    )
    snaps.write(MONTH, _crafted("2024-08-11T18", b"\xff\xfe<b>\xe9t\xe9</b>", "invalid_body", good))
    return root


@pytest.fixture
def root(bronze_month: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data" / "bronze"
    shutil.copytree(bronze_month, copy)
    return copy


def digests(root: Path) -> dict[str, str]:
    """sha256 of every hot file of MONTH, by path under the bronze root."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for ds in DATASETS
        for p in (root / ds / f"month={MONTH}").rglob("*")
        if p.is_file()
    }


def silver(snaps: BronzeStore, custs: BronzeStore) -> list[pl.DataFrame]:
    answers = read_month(snaps, MONTH)
    caps = regions().select("cut_region", pl.col("clientes").alias("customers"))
    month = build_month(answers, caps, month=Month.containing(START), hours_per_day=4, now=NOW)
    customers = region_customers(custs, MONTH)
    return [answers.rows, answers.hours, answers.eras, *vars(month).values(), customers]


def same(a: list[pl.DataFrame], b: list[pl.DataFrame]) -> bool:
    return len(a) == len(b) and all(x.equals(y) for x, y in zip(a, b, strict=True))


@pytest.fixture
def open_month_file(root: Path) -> Iterator[Path]:
    """A hot file in the open month (per NOW): never archived."""
    month = Month.containing(NOW).label
    yield BronzeStore(root, "sec_snapshots").write(
        month, _crafted(f"{month}-20T08", b"[]", "empty", NOW)
    )


def test_archive_restore_keeps_every_byte_and_silver(root: Path, open_month_file: Path) -> None:
    snaps, custs = (BronzeStore(root, ds) for ds in DATASETS)
    before, expected = digests(root), silver(snaps, custs)
    hours = read_month(snaps, MONTH).hours
    assert hours.filter(pl.col("attempts") > 1).height == 2  # the crafted tries are there
    assert len(before) > 140 and min(f.height for f in expected[:4]) > 0

    results = archive_due(root, horizon_months=12, now=NOW)

    assert sorted((r.dataset, r.month) for r in results) == [(ds, MONTH) for ds in sorted(DATASETS)]
    assert open_month_file.exists() and snaps.files(Month.containing(NOW).label)
    for ds, store in zip(DATASETS, (snaps, custs), strict=True):
        assert not store.month_dir(MONTH).exists()
        [gen] = ArchivedMonth(root, ds, MONTH).generations()
        assert gen.sidecar.exists() and gen.manifest()["count"] == len(
            [p for p in before if p.startswith(f"{ds}/")]
        )
    with (
        month_store(root, "sec_snapshots", MONTH) as s,
        month_store(root, "sec_customers", MONTH) as c,
    ):
        assert same(silver(s, c), expected)  # read straight from the archive

    for ds in DATASETS:
        restore_month(root, ds, MONTH)
    assert digests(root) == before
    assert same(silver(snaps, custs), expected)


def test_the_asset_archives_old_months_and_reports_them(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = cutoff_month(utc_now(), 0)  # the open month, in Chile, at run time
    open_month_file = BronzeStore(root, "sec_snapshots").write(
        current, _crafted(f"{current}-01T00", b"[]", "empty", NOW)
    )
    resources = local_resources(root.parent)
    hot_bytes = sum(p.stat().st_size for p in root.rglob(f"month={MONTH}/*/*.json.gz"))

    def run(**config: object) -> dict[str, Any]:
        result = archive_bronze.execute_in_process(
            resources=resources,
            run_config={"ops": {"bronze_archive": {"config": config}}},
        )
        [mat] = result.asset_materializations_for_node("bronze_archive")
        [said] = result.asset_observations_for_node("bronze_archive")  # first, what will move
        assert said.metadata["dry_run"].value is False
        return {k: v.value for k, v in mat.metadata.items()}

    kept = run(horizon_months=600)
    assert kept["months_archived"] == 0 and (root / "sec_snapshots" / f"month={MONTH}").exists()

    monkeypatch.setenv("SEC_ARCHIVE_AFTER_MONTHS", "1")
    # A dry run says what would move, and moves nothing.
    dry = archive_bronze.execute_in_process(
        resources=resources,
        run_config={"ops": {"bronze_archive": {"config": {"dry_run": True}}}},
    )
    assert not dry.asset_materializations_for_node("bronze_archive")
    [said] = dry.asset_observations_for_node("bronze_archive")
    preview = {k: v.value for k, v in said.metadata.items()}
    assert preview["dry_run"] is True and preview["months_due"] == 2
    assert preview["bytes_due"] == hot_bytes and preview["hot_files_due"] > 0
    assert (root / "sec_snapshots" / f"month={MONTH}").exists()
    meta = run()
    assert meta["horizon_months"] == 1 and meta["months_archived"] == 2
    assert meta["archived"] == [f"sec_customers/{MONTH}", f"sec_snapshots/{MONTH}"]
    assert meta["bytes_before"] == hot_bytes and 0 < meta["bytes_after"] <= hot_bytes * 1.1
    checksums = meta["checksums"]
    assert isinstance(checksums, dict)
    for name, sha in checksums.items():
        sidecar = root / f"{name}.sha256"
        assert sidecar.read_text().split()[0] == sha
    assert open_month_file.exists()  # the open month stays hot, whatever the horizon

    again = run()
    assert again["months_archived"] == 0 and again["hot_files_removed"] == 0

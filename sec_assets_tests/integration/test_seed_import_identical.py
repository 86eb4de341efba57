"""The seed importer's bronze is what the streaming importer wrote: the same file names holding
the same envelopes, for the seed's layouts, varying rows, failed points, unreadable points and
rows that fail validation. A bronze file is its name and its decompressed envelope; the gzip
level (``store.BRONZE_GZIP_LEVEL``) changes only the container. Two references: digests of the
bronze trees written by the ijson-event importer with per-value validation (recorded below), and,
for any input, the same importer run with every file read through ``ijson``'s events."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from sec_assets.bronze import seed_stream
from sec_assets.bronze.importer import import_archive
from sec_sim import SimConfig
from sec_sim.seed_archive import (
    historical_point,
    metadata_of,
    point,
    sim_points,
    write_archive,
    write_bulk_archive,
    write_point_list,
)
from sec_sim.service import SimService

FIXTURES = Path(__file__).parents[1] / "fixtures" / "seed"

#: sha256 of each archive as generated below, and :func:`tree_digest` of the bronze tree
#: (``sec_snapshots`` and the quarantine) that the ijson-event importer with per-value validation
#: wrote for it (at gzip level 9).
REFERENCE = {
    "checkpoint_2023.json": (
        "661b468f63e1a989549576b2be00228b6ef201922658dc7e684bf4890aa52ef4",
        "07537ab36a6c69ebe3534689df494eba0c06c33cb7e4d68d89304e2b01ebf906",
    ),
    "checkpoint_2024.json": (
        "4ae0f9b8d094053413539c9d4f07898147c20c4cdf53b3cf0f8a2491c1188b84",
        "8a40c5e4cdb787e992a09075e8a0df4df9c566229e32b8c6b1fff58e6024cd67",
    ),
    "scrape_date_range_2024-08-03.json": (
        "a4e8daa427e85f193e6d220fcc8281137d3f8e4e881f7f25aa0f4d7b846c7c8e",
        "005d5eac4966133f7a77bb0a5b70f813225652673bfa384cae5579c6e1a79cdd",
    ),
}


def _hostile_points() -> list:
    """July 2024 from the simulator (legacy era, one failed hour) and points each rule meets."""
    sim = SimService(SimConfig(seed=7, era="legacy"))
    july = list(sim_points(sim, 2024, 7, failed=["2024-07-03T06"]))
    row = {"NOMBRE_REGION": "Ñuble", "NOMBRE_COMUNA": "Quillón", "CLIENTES_AFECTADOS": 7}
    return [
        *july,
        point(2024, 8, 1, 0, []),  # answered, nobody affected
        {"success": True, "data": []},  # no date: quarantined
        "junk",  # not an object: quarantined
        {},
        point(2024, 8, 1, 6, [dict(row, CLIENTES_AFECTADOS=7.0)]),  # a float: read by ijson
        point(2024, 8, 1, 12, [{"NOMBRE_REGION": "x", "CLIENTES_AFECTADOS": 1}]),  # unknown shape
        point(2024, 8, 2, 0, [dict(row, CLIENTES_AFECTADOS=10**12)]),  # out of range
        point(2024, 8, 2, 6, [dict(row, CLIENTES_AFECTADOS="12"), dict(row)]),  # a count as text
        point(2024, 8, 2, 12, [dict(row, NOMBRE_COMUNA=None)]),
        point(2024, 8, 2, 18, [row], error=None, scraped="02/08/2024 18:07:31"),
        historical_point(2024, 8, 3, 0, [row, dict(row, NOMBRE_REGION="Biobío")]),
        {**point(2024, 8, 3, 6, [row]), "extra": {"nested": [1, 2.5, "ñ"]}},
    ]


def make_archives(folder: Path) -> dict[str, Path]:
    """The archives of :data:`REFERENCE`, generated (deterministic) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    hostile = folder / "checkpoint_2024.json"
    points = _hostile_points()
    write_archive(hostile, points, metadata_of([p for p in points if isinstance(p, dict)], 2024))
    varied = folder / "checkpoint_2023.json"
    write_bulk_archive(varied, 2023, 40, days=45, seed=3)  # January and part of February
    listed = folder / "scrape_date_range_2024-08-03.json"
    sim = SimService(SimConfig(seed=9, era="current"))
    write_point_list(
        listed,
        [{k: v for k, v in p.items() if k != "success"} for p in sim_points(sim, 2024, 8)][:20],
    )
    return {p.name: p for p in (hostile, varied, listed)}


def tree_digest(data: Path) -> str:
    """sha256 over every bronze file's path and the sha256 of its decompressed envelope
    (exchanges and quarantine): what a bronze file is, whatever its gzip level."""
    digest = hashlib.sha256()
    bronze = data / "bronze"
    for path in sorted(bronze.rglob("*.json.gz")):
        if path.parts[len(bronze.parts)] in ("sec_snapshots", "_import_quarantine"):
            content = hashlib.sha256(gzip.decompress(path.read_bytes())).digest()
            digest.update(str(path.relative_to(bronze)).encode() + b"\0" + content)
    return digest.hexdigest()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_archives(tmp_path_factory.mktemp("seed_identical"))


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_bronze_is_identical_to_the_reference_import(
    archives: dict[str, Path], name: str, tmp_path: Path
):
    archive_sha, bronze_sha = REFERENCE[name]
    assert _sha(archives[name]) == archive_sha, "the generated archive changed"
    import_archive(archives[name], tmp_path / "data")
    assert tree_digest(tmp_path / "data") == bronze_sha


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_cut_points_and_ijson_events_write_the_same_bronze(
    archives: dict[str, Path], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    fast = import_archive(archives[name], tmp_path / "fast")
    monkeypatch.setattr(seed_stream, "split_points", lambda fh, layout: None)
    slow = import_archive(archives[name], tmp_path / "slow")
    assert fast.as_dict() | {"duration_s": 0} == slow.as_dict() | {
        "duration_s": 0,
        "points_per_s": fast.points_per_s,
        "mb_per_s": fast.mb_per_s,
    }
    assert fast.written > 0
    assert tree_digest(tmp_path / "fast") == tree_digest(tmp_path / "slow")


def test_two_jobs_write_what_one_writes(archives: dict[str, Path], tmp_path: Path):
    files = [str(archives[n]) for n in sorted(REFERENCE)]
    for jobs in (1, 2):
        cmd = [sys.executable, "-m", "sec_assets.bronze.importer", "--jobs", str(jobs)]
        cmd += ["--data-dir", str(tmp_path / f"jobs{jobs}"), *files]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert done.stdout.count('"sha256"') == len(files), done.stderr
    assert tree_digest(tmp_path / "jobs1") == tree_digest(tmp_path / "jobs2")

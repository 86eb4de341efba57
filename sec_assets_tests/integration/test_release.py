"""A versioned research release of the 16-month history built from the simulator (shared with
the dashboard-render tests), one of its months failing a blocking check: released twice (the
verb, then the function) the bundles are byte-identical with the same version; the manifest
lists every month with its cadence and verdict and every file with its sha256; the Parquet
files are their codebook entries and read in Polars and DuckDB; a tampered file fails
``release verify`` by name; the figures are drawn from the bundle's own files; the asset
writes the same bundle and is launched explicitly only. And the same month on Postgres and on
DuckDB gives the same bundle."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sec_assets.__main__ import main
from sec_assets.gold.codebook import mismatches, table
from sec_assets.release import figures
from sec_assets.release.assets import GROUP, RESEARCH_RELEASE, release_research
from sec_assets.release.bundle import build_release, parse_months
from sec_assets.release.manifest import MANIFEST, verify
from sec_assets.resources import local_resources
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse
from sec_assets_tests.history import WAREHOUSE, build_history16, shared_history
from sec_assets_tests.integration.test_gold_payloads import crafted_silver, pass_checks

FIRST, LAST, FAILING = "2024-07", "2024-10", "2024-10"
RANGE = f"{FIRST}..{LAST}"
MONTHS = ["2024-07", "2024-08", "2024-09", "2024-10"]
PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.timeout(1200)


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = shared_history(tmp_path_factory, "history16", build_history16)
    pass_checks(DuckDBWarehouse(data / WAREHOUSE), FAILING, ("month_coverage_above_threshold",))
    return data


@pytest.fixture(scope="module")
def releases(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same months released by the verb and by the function, to two folders."""
    out = tmp_path_factory.mktemp("releases")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SEC_DATA_DIR", str(data_dir))
        assert main(["release", "--out", str(out / "a"), "--months", RANGE]) == 0
    wh = DuckDBWarehouse(data_dir / WAREHOUSE)
    again = build_release(wh, out / "b", data_dir, parse_months(RANGE))
    assert again.path == out / "b"
    return out / "a", out / "b"


def manifest(root: Path) -> dict:
    return json.loads((root / MANIFEST).read_text())


def test_two_releases_of_unchanged_data_are_byte_identical(releases: tuple[Path, Path]) -> None:
    a, b = releases
    assert tree(a) == tree(b)
    match, mismatch, errors = filecmp.cmpfiles(a, b, tree(a), shallow=False)
    assert (mismatch, errors) == ([], []) and len(match) == len(tree(a))
    assert manifest(a)["version"] == manifest(b)["version"]
    assert not any(p.name.startswith(".") for p in a.parent.iterdir())  # no staging left


def test_the_manifest_lists_months_verdicts_files_and_code(releases: tuple[Path, Path]) -> None:
    root = releases[0]
    doc = manifest(root)
    months = {m["month"]: m for m in doc["content"]["months"]}
    assert list(months) == MONTHS
    assert [m for m, v in months.items() if not v["included"]] == [FAILING]
    assert "month_coverage_above_threshold" in months[FAILING]["reason"]
    for label in MONTHS[:-1]:
        entry = months[label]
        assert entry["hours_per_day"] == 1 and entry["cadence"].startswith("1/day fetched")
        assert entry["fact_eventos_rows"] > 0 and entry["fact_observaciones_rows"] > 0
    assert "fact_eventos_rows" not in months[FAILING]
    files = {f["path"]: f for f in doc["content"]["files"]}
    assert set(files) == set(tree(root)) - {MANIFEST}
    assert not [p for p in files if "month=10" in p]  # no data of the month left out
    assert {f"figures/{n}.png" for n in figures.FIGURES} <= set(files)
    assert {"codebook.md", "codebook.json", "datapackage.json"} <= set(files)
    assert (
        files["fact_observaciones/year=2024/month=08/data.parquet"]["rows"]
        == (months["2024-08"]["fact_observaciones_rows"])
    )
    window = doc["content"]["window"]
    assert (window["first_month"], window["last_month"]) == ("2024-07", "2024-09")
    assert window["months_requested"] == [FIRST, LAST]
    assert set(doc["build"]) == {"package_version", "git_commit"} and doc["build"]["git_commit"]
    assert verify(root).ok, verify(root).report()


def test_the_bundles_tables_are_their_codebook_entries(releases: tuple[Path, Path]) -> None:
    root = releases[0]
    for path in root.rglob("*.parquet"):
        grain = path.relative_to(root).parts[0].removesuffix(".parquet")
        assert mismatches(table(grain), pl.read_parquet_schema(path)) == [], path
    package = json.loads((root / "datapackage.json").read_text())
    names = {r["name"] for r in package["resources"]}
    assert {"fact_eventos", "fact_observaciones", "reliability_indices"} <= names
    csv = pl.read_csv(root / "reliability_indices.csv")
    assert csv.columns == [c.name for c in table("reliability_indices").columns]
    obs = pl.scan_parquet(root / "fact_observaciones" / "**" / "*.parquet", hive_partitioning=True)
    storm = obs.filter((pl.col("month") == 8) & (pl.col("cut_region") == 8)).collect()
    assert storm.height > 0 and set(storm["nombre_region"]) == {"Biobío"}
    sql = (
        "SELECT month, count(*) FROM read_parquet("
        f"'{root}/fact_observaciones/**/*.parquet', hive_partitioning=true) GROUP BY 1 ORDER BY 1"
    )
    # DuckDB keeps the path's zero-padded month as text ('08'); Polars reads it as 8.
    assert [m for m, _ in duckdb.sql(sql).fetchall()] == ["07", "08", "09"]


def test_a_tampered_file_fails_verify_by_name(
    releases: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(releases[0], copy)
    target = copy / "fact_observaciones" / "year=2024" / "month=08" / "data.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    (copy / "extra.csv").write_text("a\n1\n")
    assert main(["release", "verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "fact_observaciones/year=2024/month=08/data.parquet: sha256 differs" in out
    assert "extra.csv: not listed in the manifest" in out
    assert main(["release", "verify", str(releases[1])]) == 0


def test_the_figures_are_drawn_from_the_bundle(releases: tuple[Path, Path], tmp_path: Path):
    copy = tmp_path / "bundle"
    shutil.copytree(releases[0], copy)
    indices = copy / "reliability_indices.parquet"
    pl.read_parquet(indices).filter(pl.col("mes").dt.month() != 8).write_parquet(indices)
    drawn = figures.draw(copy)
    assert all((copy / rel).read_bytes().startswith(PNG) for rel in drawn)
    changed = "figures/reliability_with_and_without_med.png"
    assert (copy / changed).read_bytes() != (releases[0] / changed).read_bytes()
    for same in set(drawn) - {changed}:  # redrawn from unchanged files: the same bytes
        assert (copy / same).read_bytes() == (releases[0] / same).read_bytes(), same


def test_the_job_writes_the_same_bundle_named_by_its_version_and_is_never_automated(
    data_dir: Path, releases: tuple[Path, Path]
) -> None:
    assert RESEARCH_RELEASE.group_name == GROUP and RESEARCH_RELEASE.automation_condition is None
    from sec_assets.definitions import defs

    graph = defs.get_repository_def().asset_graph
    assert not graph.get(RESEARCH_RELEASE.key).is_executable  # not in "Materialize all"
    result = release_research.execute_in_process(
        resources={"warehouse": local_resources(data_dir)["warehouse"]},
        run_config={"ops": {"research_release": {"config": {"months": RANGE}}}},
    )
    assert result.success
    meta = result.asset_materializations_for_node("research_release")[0].metadata
    version = meta["version"].value
    assert version == manifest(releases[0])["version"]
    assert meta["months_left_out"].value.keys() == {FAILING}
    out = data_dir / "releases" / version  # where a release goes when no folder is given
    assert meta["path"].value == str(out)
    assert tree(out) == tree(releases[0])
    assert (out / MANIFEST).read_bytes() == (releases[0] / MANIFEST).read_bytes()


@pytest.mark.postgres
def test_the_same_data_on_either_engine_gives_the_same_bundle(
    pg_database: str, tmp_path: Path
) -> None:
    """The crafted month of test_gold_payloads on Postgres and on DuckDB: one version, the
    same bytes in every file."""
    pg = build_release(crafted_silver(PostgresWarehouse(pg_database)), tmp_path / "pg", tmp_path)
    dk = build_release(
        crafted_silver(DuckDBWarehouse(tmp_path / "w.duckdb")), tmp_path / "dk", tmp_path
    )
    assert pg.version == dk.version
    assert tree(pg.path) == tree(dk.path)
    _, differ, errors = filecmp.cmpfiles(pg.path, dk.path, tree(pg.path), shallow=False)
    assert (differ, errors) == ([], [])

"""An installed wheel runs: built from a copy of the checkout, installed in a fresh venv (no
system site-packages, the dependencies borrowed from this interpreter's site-packages by a
plain ``.pth`` path, so the repository's editable install is not used), it materializes a month
of bronze → silver → golden Parquet through the Dagster CLI from a directory outside the
repository. The SQL it runs (contracts, gold models) must come from the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.deployment

REPO = Path(__file__).resolve().parents[2]
MONTH = "2024-07"
SELECT = ",".join(
    [
        "dim_geografia",
        "dim_empresa",
        "dim_tiempo",
        "sec_snapshots",
        "sec_customers",
        "region_customers",
        "snapshot_ledger",
        "fact_interrupciones",
        "fact_eventos",
        "golden_eventos",
    ]
)
# Not copied to the build: environments, caches, data and earlier builds (a stale build/lib
# would slip files into the wheel that the checkout no longer has).
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".dagster_home",
    "data", "bench_out",
)  # fmt: skip


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel of the checkout installed, its dependencies borrowed."""
    tmp = tmp_path_factory.mktemp("wheel")
    source, dist = tmp / "source", tmp / "dist"
    shutil.copytree(REPO, source, ignore=IGNORED)
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], tmp
    )
    [wheel] = dist.glob("sec_assets-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".sql")}
    expected = {p.relative_to(REPO).as_posix() for p in (REPO / "dbt_like_sql").rglob("*.sql")}
    assert shipped == expected
    env_dir = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(env_dir)], tmp)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], tmp)
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp
    )
    # A plain path line: this interpreter's .pth files (the editable install) are not processed.
    borrowed = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "borrowed_dependencies.pth").write_text(borrowed + "\n")
    return env_dir


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEC_", "DAGSTER_", "SUPABASE_")) and k != "PYTHONPATH"
    }
    env.update(extra)
    return env


@pytest.mark.slow
def test_the_wheel_runs_its_own_code_and_sql(venv: Path, tmp_path: Path) -> None:
    probe = (
        "import sec_assets, dbt_like_sql\n"
        "from sec_assets.sql_files import contracts_dir, models_dir, supabase_migrations_dir\n"
        "from sec_assets.gold.models import model\n"
        "print(sec_assets.__file__); print(dbt_like_sql.__file__)\n"
        "print(contracts_dir()); print(models_dir()); print(supabase_migrations_dir())\n"
        "print(len(model('market_map').sql))\n"
    )
    out = _run([str(venv / "bin" / "python"), "-c", probe], tmp_path, _env()).stdout.split()
    *paths, length = out
    for path in paths:
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
        assert Path(path).exists(), path
    assert int(length) > 0


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_wheel_materializes_a_month_through_the_cli(sim, venv: Path, tmp_path: Path) -> None:
    home, data, cwd = tmp_path / "home", tmp_path / "data", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    env = _env(
        DAGSTER_HOME=str(home),
        SEC_DATA_DIR=str(data),
        SEC_BASE_URL=sim.base_url,
        SEC_HOURS_PER_DAY="1",
        SEC_MAX_CONCURRENCY="8",
        SEC_REQUESTS_PER_SECOND="2000",
        SEC_BACKOFF_INITIAL_S="0.01",
        SEC_BACKOFF_MAX_S="0.05",
    )
    command = [str(venv / "bin" / "python"), "-m", "dagster", "asset", "materialize"]
    command += ["-m", "sec_assets.definitions", "--select", SELECT]
    command += ["--partition", MONTH]
    done = _run(command, cwd, env, timeout=500)
    assert "RUN_SUCCESS" in done.stdout + done.stderr
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        count = "SELECT COUNT(*) FROM silver.{} WHERE month = ?"
        ledger, events = (
            con.execute(count.format(t), [MONTH]).fetchone()[0]  # type: ignore[index]
            for t in ("snapshot_ledger", "fact_eventos")
        )
    assert ledger == 31  # one hour a day
    assert events > 0
    golden = data / "gold" / "parquet" / "fact_eventos" / "year=2024" / "month=07"
    assert any(golden.glob("*.parquet"))

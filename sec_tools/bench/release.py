"""Release: the bench's months (bronze from ``bench/genbronze.py``) loaded into a new DuckDB
warehouse and checked (not timed); then, timed: the golden Parquet of both grains, month by
month, as ``golden_eventos`` writes it; a research release of those months, twice (the second
must be byte-identical); and a researcher's read of the bundle's observation grain, with
Polars (``scan_parquet``) and DuckDB (``read_parquet``, hive partitioning), each the best of
:data:`READS` runs. Runs in its own process; prints one JSON line.

    python -m sec_tools.bench.release --data DIR --first 2024-07 --months 3
"""

from __future__ import annotations

import argparse
import filecmp
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from sec_assets.gold.golden import golden_month
from sec_assets.month import Month
from sec_assets.release.bundle import build_release
from sec_tools.bench.silver import _prepared, check_months, load_range

READS = 3
# What a researcher asks first: per comuna of a region and month, customer-hours (each
# observation weighted by the hours it stands for) and the hours without data.
POLARS_QUERY = "pl.scan_parquet(… hive_partitioning=True) → region 13, per month and comuna"
DUCKDB_SQL = """
SELECT year, month, cut_comuna,
       SUM(clientes_afectados * hours_represented) AS customer_hours,
       COUNT(*) FILTER (WHERE clientes_afectados IS NULL) AS rows_without_data
FROM read_parquet('{root}/fact_observaciones/**/*.parquet', hive_partitioning = true)
WHERE cut_region = 13
GROUP BY ALL ORDER BY ALL
"""


def polars_read(root: Path) -> pl.DataFrame:
    scan = pl.scan_parquet(root / "fact_observaciones" / "**" / "*.parquet", hive_partitioning=True)
    return (
        scan.filter(pl.col("cut_region") == 13)
        .group_by("year", "month", "cut_comuna")
        .agg(
            (pl.col("clientes_afectados") * pl.col("hours_represented")).sum().alias("ch"),
            pl.col("clientes_afectados").is_null().sum().alias("rows_without_data"),
        )
        .collect()
    )


def duckdb_read(root: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect() as con:
        return con.execute(DUCKDB_SQL.format(root=root)).fetchall()


def best_of(fn: Callable[[], Any]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(READS):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return round(min(times), 3), out


def run(data: Path, months: list[Month]) -> dict[str, Any]:
    db = data / f"bench_release_{uuid.uuid4().hex[:6]}.duckdb"
    try:
        wh = _prepared(None, db)
        load_range(wh, data, months)
        check_months(wh)
        with tempfile.TemporaryDirectory(prefix="bench_release_") as tmp:
            return _timed(wh, Path(tmp), months)
    finally:
        for leftover in data.glob(f"{db.stem}*"):
            leftover.unlink()


def _timed(wh: Any, tmp: Path, months: list[Month]) -> dict[str, Any]:
    wh.keep_open(idle_s=1.5)  # as a run and the release verb do
    try:
        t0 = time.perf_counter()
        golden = [golden_month(wh, tmp / "data", m) for m in months]
        t1 = time.perf_counter()
        first = build_release(wh, tmp / "a", tmp / "data")
        t2 = time.perf_counter()
        second = build_release(wh, tmp / "b", tmp / "data")
        t3 = time.perf_counter()
    finally:
        wh.release_kept()
    names = sorted(
        p.relative_to(first.path).as_posix() for p in first.path.rglob("*") if p.is_file()
    )
    _, differ, errors = filecmp.cmpfiles(first.path, second.path, names, shallow=False)
    polars_s, frame = best_of(lambda: polars_read(first.path))
    duckdb_s, rows = best_of(lambda: duckdb_read(first.path))
    obs = sum(g.observations for g in golden)
    return {
        "months": [m.label for m in months],
        "observation_rows": obs,
        "episode_rows": sum(g.rows for g in golden),
        "golden_s": round(t1 - t0, 2),
        "golden_rows_per_s": round(obs / (t1 - t0)),
        "release_s": round(t2 - t1, 2),
        "release_again_s": round(t3 - t2, 2),
        "identical": first.version == second.version and not differ and not errors,
        "differing_files": sorted(differ + errors),
        "version": first.version,
        "version_again": second.version,
        "files": len(first.files),
        "bundle_mb": round(first.bytes / 1e6, 2),
        "observations_mb": round(
            sum(f["bytes"] for f in first.files if f["path"].startswith("fact_observaciones/"))
            / 1e6,
            2,
        ),
        "read_polars_s": polars_s,
        "read_duckdb_s": duckdb_s,
        "read_groups": frame.height,
        "reads_agree": frame.height == len(rows),
    }


def release_markdown(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            "",
            f"Research release of {r['months'][0]} … {r['months'][-1]} (DuckDB): golden Parquet "
            "of both grains, the release (twice: byte-identical?) and a researcher's read of the "
            "observation grain (region 13 per month and comuna; best of 3):",
            "",
            "| observation rows | golden s | release s | again s | identical | files | bundle MB "
            "| observations MB | Polars read s | DuckDB read s |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {r['observation_rows']:,} | {r['golden_s']} | {r['release_s']} | "
            f"{r['release_again_s']} | {r['identical']} | {r['files']} | {r['bundle_mb']} | "
            f"{r['observations_mb']} | {r['read_polars_s']} | {r['read_duckdb_s']} |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--first", default="2024-07")
    p.add_argument("--months", type=int, default=3)
    args = p.parse_args(argv)
    months = Month.range(Month.parse(args.first), args.months)
    print(json.dumps(run(args.data.resolve(), months)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

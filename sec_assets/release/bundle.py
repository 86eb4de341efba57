"""A versioned research release: one folder a paper can cite (``docs/release.md``).

It holds the golden Parquet of both grains for its months whose blocking checks passed
(``fact_eventos/``, ``fact_observaciones/``, hive-partitioned), the research tables
(:mod:`.research`), the figures drawn from those files (:mod:`.figures`), the codebook
(``codebook.md``, ``codebook.json``), a Frictionless ``datapackage.json`` and the manifest
(:mod:`.manifest`), whose version is the hash of what the bundle holds. It is built in a
staging folder beside its destination and renamed into place whole. Every file is written
deterministically (fixed row order, compression and options; no time inside): releasing
unchanged data twice gives the same bytes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sec_assets.files import atomic_write
from sec_assets.gold import coverage as coverage_payload
from sec_assets.gold import observations, reliability, trusted
from sec_assets.gold.codebook import codebook_json, markdown, mismatches, table, table_schema
from sec_assets.gold.grain_tables import GRAINS
from sec_assets.gold.local_files import month_path, write_parquet
from sec_assets.gold.models import Inputs, run_model
from sec_assets.gold.refs import render
from sec_assets.month import Month
from sec_assets.release import figures, research
from sec_assets.release.manifest import (
    MANIFEST,
    NAME,
    code_version,
    file_entry,
    manifest,
    manifest_bytes,
)
from sec_assets.release.research import ReleaseError
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

HOURS_SQL = (
    "SELECT l.month, MIN(l.hora_local) AS first_hour, MAX(l.hora_local) AS last_hour "
    "FROM {{ ref('snapshot_ledger') }} l GROUP BY l.month"
)
# What a release reads (its asset's lineage): both grains, the research tables, the window.
INPUTS = (
    observations.INPUTS
    | Inputs(models=("golden_eventos",), queries={"release_window": HOURS_SQL})
    | reliability.INPUTS
    | coverage_payload.INPUTS
    | trusted.INPUTS
)
_MONTH_FIELDS = (
    "included",
    "reason",
    "hours_per_day",
    "cadence",
    "cadence_error",
    "hours_expected",
    "ok",
    "empty",
    "failed",
    "degraded",
    "schema_error",
    "wrong_date",
    "missing",
    "customers_as_of",
    "customers_source",
)


@dataclass(frozen=True)
class Release:
    path: Path
    manifest: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def files(self) -> list[dict[str, Any]]:
        return list(self.manifest["content"]["files"])

    @property
    def bytes(self) -> int:
        return sum(int(f["bytes"]) for f in self.files)


def parse_months(text: str) -> tuple[Month, Month]:
    """``A..B`` (or a single month ``A``) as its first and last month."""
    first, _, last = text.partition("..")
    a, b = Month.parse(first.strip()), Month.parse((last or first).strip())
    if b < a:
        raise ValueError(f"--months {text!r}: {b} is before {a}")
    return a, b


def build_release(
    wh: Warehouse,
    out: Path | None,
    data_dir: Path,
    months: tuple[Month, Month] | None = None,
) -> Release:
    """Write the release of ``months`` (first, last; every month of the ledger when None) to
    ``out`` (default ``$SEC_DATA_DIR/releases/<version>``), replacing what was there."""
    import polars as pl

    if out is not None:
        _replaceable(out)
    coverage = research.coverage(wh, _ledger_months(wh, months))
    month_rows = coverage.filter(pl.col("scope") == "month").sort("key")
    labels = month_rows["key"].to_list()
    parent = (out.parent if out is not None else data_dir / "releases").resolve()
    staging = parent / f".{NAME}-{uuid.uuid4().hex}.tmp"
    try:
        content = _write(wh, staging, month_rows, coverage, labels, months)
        doc = manifest(content, code_version())
        atomic_write(staging / MANIFEST, manifest_bytes(doc))
        target = out if out is not None else parent / doc["version"]
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Release(target, doc)


def _ledger_months(wh: Warehouse, months: tuple[Month, Month] | None) -> list[str]:
    found = wh.read(render(trusted.MONTHS_SQL))["month"].to_list()
    if months is None:
        return sorted(found)
    wanted = {m.label for m in months[0].through(months[1])}
    return sorted(set(found) & wanted)


def _write(
    wh: Warehouse,
    root: Path,
    month_rows: pl.DataFrame,
    coverage: pl.DataFrame,
    labels: list[str],
    requested: tuple[Month, Month] | None,
) -> dict[str, Any]:
    rows: dict[str, int | None] = {}
    months = []
    for row in month_rows.iter_rows(named=True):
        entry = {"month": row["key"], **{k: row[k] for k in _MONTH_FIELDS}}
        month = Month.parse(row["key"])
        if row["included"]:
            for grain, count in _write_month(wh, root, month).items():
                rows[f"{grain}/{month_path(month).as_posix()}/data.parquet"] = count
                entry[f"{grain}_rows"] = count
        months.append(entry)
    tables = {"reliability_indices": research.reliability(wh, labels), "data_coverage": coverage}
    for table_id, frame in tables.items():
        for rel in research.write_table(root, table_id, frame):
            rows[rel] = frame.height
    for rel in figures.draw(root):
        rows[rel] = None
    atomic_write(root / "codebook.md", markdown())
    atomic_write(root / "codebook.json", _json(codebook_json()))
    atomic_write(root / "datapackage.json", _json(datapackage(rows)))
    rows |= {"codebook.md": None, "codebook.json": None, "datapackage.json": None}
    included = [m["month"] for m in months if m["included"]]
    return {
        "window": _window(wh, included, requested),
        "months": months,
        "files": [file_entry(root, rel, n) for rel, n in sorted(rows.items())],
    }


def _write_month(wh: Warehouse, root: Path, month: Month) -> dict[str, int]:
    """The month's files of both grains; grain → rows."""
    frames = {
        "fact_eventos": run_model(wh, "golden_eventos", observations.bounds([month])),
        "fact_observaciones": observations.observations(wh, month),
    }
    for grain, frame in frames.items():
        problems = mismatches(table(grain), frame.schema)
        if problems:
            raise ReleaseError("; ".join(problems))
        write_parquet(frame, root / grain / month_path(month) / "data.parquet")
    return {grain: frame.height for grain, frame in frames.items()}


def _window(
    wh: Warehouse, included: list[str], requested: tuple[Month, Month] | None
) -> dict[str, Any]:
    import polars as pl

    hours = wh.read(render(HOURS_SQL)).filter(pl.col("month").is_in(included))
    first = hours["first_hour"].min() if hours.height else None
    last = hours["last_hour"].max() if hours.height else None
    return {
        "months_requested": None if requested is None else [m.label for m in requested],
        "first_month": min(included, default=None),
        "last_month": max(included, default=None),
        "first_hour_local": None if first is None else str(first),
        "last_hour_local": None if last is None else str(last),
    }


def datapackage(rows: dict[str, int | None]) -> dict[str, Any]:
    """A Frictionless Data Package of the bundle's tables: each grain one resource over its
    monthly files, each research table as CSV and as Parquet, with its Table Schema."""
    resources: list[dict[str, Any]] = []
    for grain in (t.id for t in GRAINS):
        paths = sorted(p for p in rows if p.startswith(f"{grain}/"))
        if paths:
            resources.append(_resource(grain, paths, "parquet"))
    for table_id in research.TABLES:
        resources.append(_resource(table_id, [f"{table_id}.csv"], "csv"))
        resources.append(_resource(f"{table_id}_parquet", [f"{table_id}.parquet"], "parquet"))
    return {"profile": "tabular-data-package", "name": NAME, "resources": resources}


def _resource(name: str, paths: list[str], fmt: str) -> dict[str, Any]:
    spec = table(name.removesuffix("_parquet"))
    return {
        "name": name,
        "profile": "tabular-data-resource",
        "path": paths[0] if len(paths) == 1 else paths,
        "format": fmt,
        "description": f"One row: {spec.grain}.",
        "schema": table_schema(spec),
    }


def _json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def _replaceable(out: Path) -> None:
    """Refuse a destination that holds anything but an earlier release (a bundle replaces its
    folder whole)."""
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())
    ):
        raise ReleaseError(
            f"{out} exists and is not a release bundle (no {MANIFEST}): a release replaces its "
            "folder whole; give a new or empty folder, or an earlier release's"
        )


def _swap(staging: Path, target: Path) -> None:
    """Put the staged bundle at ``target``, replacing an earlier one whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    with contextlib.suppress(OSError):
        shutil.rmtree(old)

"""Import the seed's ``checkpoint_<year>.json`` archives into bronze, streaming.

``python -m sec_assets.bronze.importer FILE [FILE ...] [--month YYYY-MM] [--data-dir DIR]``
(or ``sec-seed-import``). Each point becomes a bronze exchange of its hour under
``sec_snapshots``, attempt ``0`` (an import), with its provenance (file, sha256, point index).

- Streaming: ``ijson`` yields one point at a time; a month's points are buffered (as bytes)
  and written when the next month begins, so memory is bounded by a month, not by the file.
- A truncated or corrupt file stops the import with the byte offset; the month being parsed
  is not written (months already complete before the fault are, and a re-run skips them).
- Idempotent: a file's name is derived from the point's hour, scrape time and content, so
  importing the same archive again writes nothing new.
- Points whose hour cannot be read are quarantined under ``bronze/_import_quarantine/``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from sec_assets.bronze.seed_points import ImportedPoint, SeedSource, UnreadablePoint, import_point
from sec_assets.bronze.store import BronzeStore
from sec_assets.files import atomic_write

DATASET = "sec_snapshots"
QUARANTINE_DIR = "_import_quarantine"
MANIFEST_DIR = "_imports"
READ_BLOCK = 64 * 1024


class CorruptArchiveError(Exception):
    """The archive is not valid JSON from ``offset`` on; ``month`` was not written."""

    def __init__(self, path: Path, offset: int, month: str | None, detail: str) -> None:
        self.path, self.offset, self.month = path, offset, month
        where = f"in month {month} (not written)" if month else "before any point"
        super().__init__(
            f"{path.name}: corrupt or truncated JSON at or before byte {offset:,} {where}: "
            f"{detail[:200]}"
        )


@dataclass
class ImportReport:
    source: str
    sha256: str
    size_bytes: int
    points: int = 0
    written: int = 0
    already_present: int = 0
    skipped_other_months: int = 0
    quarantined: int = 0
    nonexistent_hours: int = 0
    outcomes: Counter = field(default_factory=Counter)
    months: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def points_per_s(self) -> float:
        return round(self.points / self.duration_s, 1) if self.duration_s else 0.0

    @property
    def mb_per_s(self) -> float:
        return round(self.size_bytes / 1e6 / self.duration_s, 2) if self.duration_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "points": self.points,
            "written": self.written,
            "already_present": self.already_present,
            "skipped_other_months": self.skipped_other_months,
            "quarantined": self.quarantined,
            "nonexistent_hours": self.nonexistent_hours,
            "outcomes": dict(sorted(self.outcomes.items())),
            "months": dict(sorted(self.months.items())),
            "duration_s": round(self.duration_s, 3),
            "points_per_s": self.points_per_s,
            "mb_per_s": self.mb_per_s,
        }


class _CountingReader:
    """A binary reader that counts the bytes handed to the parser (the error offset)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.offset = raw, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.offset += len(data)
        return data


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _MonthBuffer:
    month: str | None = None
    points: list[ImportedPoint] = field(default_factory=list)
    quarantine: list[tuple[int, str, Any]] = field(default_factory=list)


class _Writer:
    def __init__(self, data_dir: Path, source: SeedSource, report: ImportReport) -> None:
        self.store = BronzeStore(data_dir / "bronze", DATASET)
        self.qdir = data_dir / "bronze" / QUARANTINE_DIR / source.sha256[:12]
        self.source, self.report = source, report

    def flush(self, buf: _MonthBuffer) -> None:
        if buf.month is not None and buf.points:
            before = {f.path.name for f in self.store.files(buf.month)}
            for item in buf.points:
                path = self.store.write(item.month, item.attempt, extra=item.extra)
                if path.name in before:
                    self.report.already_present += 1
                else:
                    self.report.written += 1
                    before.add(path.name)
        for index, reason, point in buf.quarantine:
            doc = {
                "source_file": self.source.name,
                "source_sha256": self.source.sha256,
                "point_index": index,
                "reason": reason,
                "point": point,
            }
            data = gzip.compress(orjson.dumps(doc, default=str), mtime=0)
            target = self.qdir / f"point-{index:07d}.json.gz"
            if not target.exists():
                atomic_write(target, data)
        buf.points, buf.quarantine = [], []


def _points(fh: _CountingReader):
    return ijson.items(fh, "data.item", use_float=True, buf_size=READ_BLOCK)


def import_archive(path: Path, data_dir: Path, *, months: set[str] | None = None) -> ImportReport:
    """Import one archive (only ``months`` when given); raises :class:`CorruptArchiveError`."""
    path = Path(path)
    t0 = time.perf_counter()
    source = SeedSource(path.name, sha256_file(path))
    report = ImportReport(path.name, source.sha256, path.stat().st_size)
    writer = _Writer(Path(data_dir), source, report)
    buf = _MonthBuffer()
    with open(path, "rb") as raw:
        fh = _CountingReader(raw)
        try:
            for index, point in enumerate(_points(fh)):
                report.points += 1
                _take(point, index, source, buf, writer, report, months)
        except ijson.JSONError as exc:
            raise CorruptArchiveError(path, fh.offset, buf.month, str(exc)) from None
    if report.points == 0:
        raise CorruptArchiveError(path, 0, None, 'no points under "data" (not a checkpoint?)')
    writer.flush(buf)
    report.duration_s = time.perf_counter() - t0
    if months is None:
        _write_manifest(Path(data_dir), report)
    return report


def _take(
    point: Any,
    index: int,
    source: SeedSource,
    buf: _MonthBuffer,
    writer: _Writer,
    report: ImportReport,
    months: set[str] | None,
) -> None:
    try:
        item = import_point(point, index, source)
    except UnreadablePoint as exc:
        report.quarantined += 1
        buf.quarantine.append((index, str(exc), point))
        return
    if months is not None and item.month not in months:
        report.skipped_other_months += 1
        return
    if item.month != buf.month:
        writer.flush(buf)  # the previous month's points are all parsed
        buf.month = item.month
    buf.points.append(item)
    report.outcomes[item.attempt.outcome] += 1
    report.months[item.month] = report.months.get(item.month, 0) + 1
    report.nonexistent_hours += not item.extra["imported"]["hour_exists"]


def _write_manifest(data_dir: Path, report: ImportReport) -> None:
    target = data_dir / "bronze" / MANIFEST_DIR / f"{report.sha256[:16]}.json"
    if not target.exists():
        doc = {k: v for k, v in report.as_dict().items() if k not in _TIMINGS}
        atomic_write(target, orjson.dumps(doc, option=orjson.OPT_INDENT_2))


_TIMINGS = {"duration_s", "points_per_s", "mb_per_s", "written", "already_present"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sec-seed-import", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="checkpoint_<year>.json files")
    parser.add_argument("--data-dir", type=Path, help="default: $SEC_DATA_DIR or ./data")
    parser.add_argument("--month", action="append", help="only this month (YYYY-MM); repeatable")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or _default_data_dir()
    status = 0
    for path in args.files:
        try:
            report = import_archive(path, data_dir, months=set(args.month) if args.month else None)
        except (CorruptArchiveError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        print(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    return status


def _default_data_dir() -> Path:
    from sec_assets.settings import load_settings

    return load_settings().data_dir


if __name__ == "__main__":
    sys.exit(main())

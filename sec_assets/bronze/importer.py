"""Import the seed's archives (``checkpoint_<year>.json`` and the rest of its layouts) into
bronze, streaming.

``python -m sec_assets.bronze.importer FILE [FILE ...] [--month YYYY-MM] [--data-dir DIR]
[--jobs N]`` (or ``sec-seed-import``; ``--jobs``: files at once, one process each). Each point
becomes a bronze exchange of its hour under ``sec_snapshots``, attempt ``0`` (an import), with
its provenance (``imported``: source, file, sha256, point index, the month's sampled hours).
Layouts and point shapes: ``docs/seed_archives.md``.

- Streaming: one point at a time (``seed_stream.py``); a month's points are buffered (as
  bytes) and written when the next month begins (``import_writer.py``), so memory is bounded
  by a month, not by the file.
- A truncated or corrupt file stops the import with the byte offset; the month being parsed
  is not written (months already complete before the fault are, and a re-run skips them).
- Idempotent: a file's name is derived from the point's hour, scrape time and content, so
  importing the same archive again writes nothing new. A month is written under its
  collection lock, after removing the temporary files a killed writer left in it.
- Points whose hour cannot be read are quarantined under ``bronze/_import_quarantine/``; an
  archive with more than ``SEC_SEED_MAX_REJECTED_SHARE`` unusable points fails
  (``import_report.py``), after storing everything.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from sec_assets.bronze.import_report import ImportReport, rejection_error
from sec_assets.bronze.import_writer import MonthBuffer, MonthWriter
from sec_assets.bronze.seed_points import (
    SEED_FAILED,
    SeedSource,
    UnreadablePoint,
    import_point,
)
from sec_assets.bronze.seed_split import ArchiveSyntaxError
from sec_assets.bronze.seed_stream import archive_layout, points
from sec_assets.bronze.store import GOOD_OUTCOMES
from sec_assets.files import atomic_write
from sec_assets.sec_client.state import StateStore, open_state
from sec_assets.settings import load_settings

MANIFEST_DIR = "_imports"
USABLE = GOOD_OUTCOMES | {SEED_FAILED}

__all__ = ["CorruptArchiveError", "ImportReport", "import_archive", "main", "rejection_error"]


class CorruptArchiveError(Exception):
    """The archive is not valid JSON from ``offset`` on; ``month`` was not written."""

    def __init__(self, path: Path, offset: int, month: str | None, detail: str) -> None:
        self.path, self.offset, self.month = path, offset, month
        where = f"in month {month} (not written)" if month else "before any point"
        super().__init__(
            f"{path.name}: corrupt or truncated JSON at or before byte {offset:,} {where}: "
            f"{detail[:200]}"
        )


class _CountingReader:
    """A binary reader that counts the bytes handed to the parser (the error offset)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.offset = raw, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.offset += len(data)
        return data

    def seek(self, pos: int) -> int:
        self.offset = self.raw.seek(pos)
        return self.offset


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_archive(
    path: Path,
    data_dir: Path,
    *,
    months: set[str] | None = None,
    state: StateStore | Path | None = None,
) -> ImportReport:
    """Import one archive (only ``months`` when given); raises :class:`CorruptArchiveError`.
    The rejection rule is the caller's (:func:`rejection_error` on the report)."""
    path, data_dir = Path(path), Path(data_dir)
    t0 = time.perf_counter()
    source = SeedSource(path.name, sha256_file(path))
    report = ImportReport(path.name, source.sha256, path.stat().st_size, archive_layout(path))
    writer = MonthWriter(
        data_dir, state or open_state(load_settings(data_dir=data_dir)), source, report
    )
    buf = MonthBuffer()
    try:
        _read_points(path, source, buf, writer, report, months)
        writer.flush(buf)
    finally:
        writer.close()
    report.duration_s = time.perf_counter() - t0
    if months is None:
        _write_manifest(data_dir, report)
    return report


def _read_points(
    path: Path,
    source: SeedSource,
    buf: MonthBuffer,
    writer: MonthWriter,
    report: ImportReport,
    months: set[str] | None,
) -> None:
    import ijson

    year = _one_year(months) if report.layout == "data_by_year" else None
    with open(path, "rb") as raw:
        fh = _CountingReader(raw)
        try:
            stream = points(fh, report.layout, year=year)  # type: ignore[arg-type]
            for index, point in enumerate(stream):
                report.points += 1
                _take(point, index, source, buf, writer, report, months)
        except ijson.JSONError as exc:
            raise CorruptArchiveError(path, fh.offset, buf.month, str(exc)) from None
        except ArchiveSyntaxError as exc:
            raise CorruptArchiveError(path, exc.offset, buf.month, str(exc)) from None
    if report.points == 0:
        raise CorruptArchiveError(
            path,
            0,
            None,
            f"no points under {_where(report.layout, year)} (not the seed's archive?)",
        )


def _where(layout: str, year: str | None) -> str:
    return {"list": "the top-level list", "data": '"data"'}.get(
        layout, f'"data_by_year"/"{year}"/"data"' if year else '"data_by_year"'
    )


def _one_year(months: set[str] | None) -> str | None:
    """The year of ``months`` when they are all of one (a multi-year file is read for it)."""
    years = {m[:4] for m in months or ()}
    return years.pop() if len(years) == 1 else None


def _take(
    point: Any,
    index: int,
    source: SeedSource,
    buf: MonthBuffer,
    writer: MonthWriter,
    report: ImportReport,
    months: set[str] | None,
) -> None:
    try:
        item = import_point(point, index, source)
    except UnreadablePoint as exc:
        report.quarantined += 1
        report.reject(index, exc.reason, str(exc))
        buf.quarantine.append((index, str(exc), point))
        return
    if item.attempt.outcome not in USABLE:  # stored, but silver will not use its rows
        report.reject(index, item.attempt.outcome, f"{item.hour.key}: {item.attempt.error}")
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
        doc = {k: v for k, v in report.as_dict().items() if k not in _RUN_ONLY}
        atomic_write(target, orjson.dumps(doc, option=orjson.OPT_INDENT_2))


# what differs from one run of the same file to the next
_RUN_ONLY = frozenset(
    ("duration_s", "points_per_s", "mb_per_s", "written", "already_present", "orphans_removed")
)


def _import_one(
    path: Path, data_dir: Path, months: set[str] | None, max_share: float
) -> tuple[dict[str, Any] | None, str | None]:
    """One file of the CLI: its report and why it fails, if it does. The client state store
    (month locks) is opened in the process that imports, from the same settings."""
    try:
        report = import_archive(path, data_dir, months=months)
    except (CorruptArchiveError, OSError) as exc:
        return None, str(exc)
    return report.as_dict(), rejection_error(report, max_share)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sec-seed-import", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="checkpoint_<year>.json files")
    parser.add_argument("--data-dir", type=Path, help="default: $SEC_DATA_DIR or ./data")
    parser.add_argument("--month", action="append", help="only this month (YYYY-MM); repeatable")
    parser.add_argument(
        "--max-rejected-share",
        type=float,
        help="fail above this share of unusable points (default: $SEC_SEED_MAX_REJECTED_SHARE)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="files imported at once, one process each (default: the machine's cores)",
    )
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir)
    max_share = (
        args.max_rejected_share
        if args.max_rejected_share is not None
        else settings.seed_max_rejected_share
    )
    months = set(args.month) if args.month else None
    one = partial(
        _import_one,
        data_dir=settings.data_dir,
        months=months,
        max_share=max_share,
    )
    jobs = max(1, min(args.jobs, len(args.files)))
    status = 0
    with ExitStack() as stack:
        results: Iterator[tuple[dict[str, Any] | None, str | None]] = map(one, args.files)
        if jobs > 1:  # a file's months are its own; the month locks order files sharing one
            results = stack.enter_context(ProcessPoolExecutor(jobs)).map(one, args.files)
        for report, error in results:  # in the files' order
            if report is not None:
                print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode(), flush=True)
            if error is not None:
                print(f"error: {error}", file=sys.stderr, flush=True)
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Where the importer puts a month of a seed archive: its points as bronze exchanges (under
the month's collection lock, after removing a killed writer's temporary files) and its unreadable
points in the quarantine."""

from __future__ import annotations

import gzip
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sec_assets.bronze.import_report import ImportReport
from sec_assets.bronze.month_lock import month_lock
from sec_assets.bronze.seed_points import ImportedPoint, SeedSource
from sec_assets.bronze.store import BronzeStore
from sec_assets.files import atomic_write

DATASET = "sec_snapshots"
QUARANTINE_DIR = "_import_quarantine"
WRITERS = 2  # threads compressing and writing a month's files


@dataclass
class MonthBuffer:
    month: str | None = None
    points: list[ImportedPoint] = field(default_factory=list)
    quarantine: list[tuple[int, str, Any]] = field(default_factory=list)


def month_cadence(items: list[ImportedPoint]) -> dict[str, Any]:
    """The month's sampling in this archive: the local hours it holds and points per day."""
    hours = sorted({item.hour.hour for item in items})
    per_day = Counter(item.hour.day for item in items)
    return {"sampled_hours": hours, "points_per_day": max(per_day.values(), default=0)}


class MonthWriter:
    """Writes each month while the next one is parsed: a month's files are compressed, written
    and fsynced by :data:`WRITERS` threads (zlib and fsync release the interpreter lock) under
    the month's lock, which is held until they are all on disk. :meth:`close` waits for the
    last month; call it also when the parse stops (the months before a fault are whole)."""

    def __init__(
        self, data_dir: Path, state_dir: Path, source: SeedSource, report: ImportReport
    ) -> None:
        self.store = BronzeStore(data_dir / "bronze", DATASET)
        self.qdir = data_dir / "bronze" / QUARANTINE_DIR / source.sha256[:12]
        self.state_dir, self.source, self.report = state_dir, source, report
        self.pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="seed-import-write")
        self.pending: tuple[ExitStack, set[str], list[Future[Path]]] | None = None

    def flush(self, buf: MonthBuffer) -> None:
        self._finish_pending()
        if buf.month is not None and buf.points:
            held = ExitStack()
            held.enter_context(month_lock(self.state_dir, DATASET, buf.month))
            try:
                self.report.orphans_removed += self.store.remove_orphans(buf.month)
                self.pending = (held, *self._submit_month(buf.points))
            except BaseException:
                held.close()
                raise
        for index, reason, point in buf.quarantine:
            self._quarantine(index, reason, point)
        buf.points, buf.quarantine = [], []

    def close(self) -> None:
        try:
            self._finish_pending()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _submit_month(self, items: list[ImportedPoint]) -> tuple[set[str], list[Future[Path]]]:
        cadence = month_cadence(items)
        before = {f.path.name for f in self.store.files(items[0].month)}
        for item in items:
            item.extra["imported"]["month_cadence"] = cadence
        write = self.store.write
        return before, [
            self.pool.submit(write, item.month, item.attempt, extra=item.extra) for item in items
        ]

    def _finish_pending(self) -> None:
        if self.pending is None:
            return
        held, before, futures = self.pending
        self.pending = None
        with held:  # the month's lock, released once every file is written
            for future in futures:
                name = future.result().name
                if name in before:
                    self.report.already_present += 1
                else:
                    self.report.written += 1
                    before.add(name)

    def _quarantine(self, index: int, reason: str, point: Any) -> None:
        doc = {
            "source_file": self.source.name,
            "source_sha256": self.source.sha256,
            "point_index": index,
            "reason": reason,
            "point": point,
        }
        target = self.qdir / f"point-{index:07d}.json.gz"
        if not target.exists():
            atomic_write(target, gzip.compress(orjson.dumps(doc, default=str), mtime=0))

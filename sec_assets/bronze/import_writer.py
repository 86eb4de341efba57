"""Where the importer puts a month of a seed archive: its points as bronze exchanges (under
the month's collection lock, after removing a killed writer's temporary files) and its unreadable
points in the quarantine."""

from __future__ import annotations

import gzip
import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Semaphore
from typing import Any

import orjson

from sec_assets.bronze.import_report import ImportReport
from sec_assets.bronze.month_lock import month_lock
from sec_assets.bronze.packs import after_month_write
from sec_assets.bronze.seed_points import ImportedPoint, SeedSource
from sec_assets.bronze.store import BRONZE_GZIP_LEVEL, open_store
from sec_assets.files import atomic_write
from sec_assets.sec_client.state import StateStore
from sec_assets.settings import load_settings

DATASET = "sec_snapshots"
QUARANTINE_DIR = "_import_quarantine"
WRITERS = 2  # threads compressing and writing a month's files
log = logging.getLogger(__name__)


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
    """Writes a month's files under its lock: each envelope's JSON is built here, then compressed,
    written and fsynced by :data:`WRITERS` threads (zlib and fsync release the interpreter lock,
    so they overlap; the threads allocate little). :meth:`close` stops them; call it also when
    the parse stops."""

    def __init__(
        self,
        data_dir: Path,
        state: StateStore | Path,
        source: SeedSource,
        report: ImportReport,
    ) -> None:
        # Where SEC_BRONZE_URL says (default: data_dir/bronze); quarantine stays local.
        self.store = open_store(load_settings(data_dir=data_dir).bronze_root, DATASET)
        self.qdir = data_dir / "bronze" / QUARANTINE_DIR / source.sha256[:12]
        self.state, self.source, self.report = state, source, report
        self.pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="seed-import-write")

    def flush(self, buf: MonthBuffer) -> None:
        if buf.month is not None and buf.points:
            with month_lock(self.state, DATASET, buf.month):
                self.report.orphans_removed += self.store.remove_orphans(buf.month)
                self._write_month(buf.month, buf.points)
                after_month_write(self.store, buf.month, log)
        for index, reason, point in buf.quarantine:
            self._quarantine(index, reason, point)
        buf.points, buf.quarantine = [], []

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _write_month(self, month: str, items: list[ImportedPoint]) -> None:
        cadence = month_cadence(items)
        before = {f.path.name for f in self.store.files(month)}
        slots = Semaphore(2 * WRITERS)  # envelopes in flight: memory stays a month's points
        stored: list[Path | Future[Path]] = []
        for item in items:
            item.extra["imported"]["month_cadence"] = cadence
            final, text = self.store.prepare(item.month, item.attempt, extra=item.extra)
            if text is None:
                stored.append(final)
                continue
            slots.acquire()
            future = self.pool.submit(self.store.put, final, text)
            future.add_done_callback(lambda _: slots.release())
            stored.append(future)
        for entry in stored:  # all of them, in order, before the lock is released
            name = (entry if isinstance(entry, Path) else entry.result()).name
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
            payload = orjson.dumps(doc, default=str)
            atomic_write(target, gzip.compress(payload, compresslevel=BRONZE_GZIP_LEVEL, mtime=0))

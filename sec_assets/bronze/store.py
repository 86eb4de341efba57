"""Append-only, lossless bronze storage on the local file system.

Layout: ``<root>/<dataset>/month=YYYY-MM/<key>/<fetched>-a<attempt>-<outcome>-<sha>.json.gz``,
one gzipped JSON envelope per HTTP exchange: the request, fetch time (UTC), status, latency, kept
headers, outcome, error, era fingerprint, content hash and the raw body (UTF-8 text, or base64
when the bytes are not UTF-8), every configured secret in it masked and counted
(``secret_echoed``: ``secrets/echo.py``). A file is written under a temporary name, fsynced and
renamed, so a killed run leaves only whole files; nothing is ever overwritten. The outcome is
part of the file name, so coverage is read from a directory listing without opening a file.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sec_assets.bronze.archive_format import ArchivedMonth
from sec_assets.diskerrors import disk_errors
from sec_assets.files import atomic_write
from sec_assets.month import LocalHour, Month
from sec_assets.objects import ObjectLocation, is_object_url
from sec_assets.sec_client.exchange import Attempt
from sec_assets.sec_client.validation import VALIDATION_VERSION

if TYPE_CHECKING:
    from sec_assets.bronze.packs import PackWrite

ENVELOPE_SCHEMA = "sec_assets.bronze/1"
#: gzip level of every bronze envelope, collected or imported. A file's identity is its name
#: (the body's sha256) and its decompressed envelope, not its gzip bytes: files written at
#: another level read the same (``docs/bronze.md``).
BRONZE_GZIP_LEVEL = 1
GOOD_OUTCOMES = frozenset({"ok", "empty"})
_STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class StoredFile:
    """What a bronze file name says about the exchange inside it."""

    path: Path
    key: str
    fetched: str  # compact UTC timestamp: sorts chronologically
    attempt: int
    outcome: str
    sha: str

    @property
    def good(self) -> bool:
        """A valid answer (rows or a genuine empty list): the key is covered."""
        return self.outcome in GOOD_OUTCOMES

    @property
    def fetched_at(self) -> datetime:
        return datetime.strptime(self.fetched, _STAMP).replace(tzinfo=UTC)

    @classmethod
    def parse(cls, path: Path) -> StoredFile:
        fetched, attempt, rest = path.name.removesuffix(".json.gz").split("-", 2)
        outcome, sha = rest.rsplit("-", 1)
        return cls(path, path.parent.name, fetched, int(attempt[1:]), outcome, sha)


def envelope(attempt: Attempt) -> dict[str, Any]:
    """The JSON document stored for one exchange; lossless for any body bytes."""
    body = attempt.body
    text: str | None = None
    encoding: str | None = None
    if body is not None:
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(body).decode("ascii"), "base64"
    return {
        "schema": ENVELOPE_SCHEMA,
        "endpoint": attempt.endpoint,
        "url": attempt.url,
        "request_body": attempt.request_body,
        "key": attempt.key,
        "attempt": attempt.attempt,
        "fetched_at": attempt.fetched_at.isoformat(),
        "latency_ms": attempt.latency_ms,
        "http_status": attempt.http_status,
        "headers": attempt.headers,
        "outcome": attempt.outcome,
        "error": attempt.error,
        "era": attempt.era,
        "fingerprint": attempt.fingerprint,
        "rows": attempt.rows,
        "customers": attempt.customers,
        "content_sha256": hashlib.sha256(body).hexdigest() if body is not None else None,
        "body_bytes": len(body) if body is not None else 0,
        "body_cut": attempt.body_cut,
        # Spellings of a configured secret masked before storing (an echo: secrets/echo.py).
        "secret_echoed": attempt.secret_echoed,
        # The validation rules a valid answer passed (silver re-validates older ones).
        "validated_by": VALIDATION_VERSION if attempt.era is not None else None,
        "body_encoding": encoding,
        "body": text,
    }


def envelope_json(doc: dict[str, Any]) -> bytes:
    """``json.dumps(doc, ensure_ascii=False)`` as UTF-8, the body's text escaped by ``orjson``
    (the same bytes for any text without lone surrogates, which a decoded body cannot hold,
    about three times faster) and spliced in where a unique placeholder stood."""
    text = doc.get("body")
    if not isinstance(text, str):
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    mark = uuid.uuid4().hex
    head, tail = json.dumps({**doc, "body": mark}, ensure_ascii=False).split(f'"{mark}"')
    return head.encode("utf-8") + orjson.dumps(text) + tail.encode("utf-8")


def body_bytes(doc: dict[str, Any]) -> bytes | None:
    """The exact bytes the service sent, from a stored envelope."""
    if doc.get("body") is None:
        return None
    if doc.get("body_encoding") == "base64":
        return base64.b64decode(doc["body"])
    return str(doc["body"]).encode("utf-8")


def decode_envelope(data: bytes) -> dict[str, Any]:
    """A stored file's bytes (a gzipped JSON envelope) as the envelope."""
    return orjson.loads(gzip.decompress(data))


def read_envelope(path: Path) -> dict[str, Any]:
    return decode_envelope(path.read_bytes())


class BronzeStore:
    """Bronze files of one dataset (``sec_snapshots``, ``sec_customers``) under ``root``."""

    def __init__(self, root: Path, dataset: str) -> None:
        self.root = Path(root) / dataset
        self.dataset = dataset

    @property
    def location(self) -> Path | ObjectLocation:
        """Where every dataset lives (what :func:`open_store` takes back)."""
        return self.root.parent

    def month_dir(self, month: str) -> Path:
        return self.root / f"month={month}"

    def month_url(self, month: str) -> str:
        """The month's folder, as shown in metadata and messages."""
        return str(self.month_dir(month))

    @contextmanager
    def whole_month(self, month: str) -> Iterator[BronzeStore]:
        """A local store holding the month whole (hot and archived files) whose paths can be
        read: this store itself when nothing is archived (``archive_read.month_store``)."""
        from sec_assets.bronze.archive_read import month_store

        with month_store(self.root.parent, self.dataset, month) as whole:
            yield whole

    @contextmanager
    def readable_month(self, month: str) -> Iterator[BronzeStore]:
        """A store with the same :meth:`files` as this one whose paths can be read."""
        yield self

    def stored_bytes(self, stored: StoredFile) -> bytes:
        """The stored file's bytes (its gzipped envelope), wherever this store holds them: on
        object storage a machine's copy or a member of a cached month pack, not always a file
        at ``stored.path``."""
        return stored.path.read_bytes()

    def envelope_of(self, stored: StoredFile) -> dict[str, Any]:
        """The envelope of one of this store's files: how every reader of bronze opens one."""
        return decode_envelope(self.stored_bytes(stored))

    def write(self, month: str, attempt: Attempt, *, extra: dict[str, Any] | None = None) -> Path:
        """Store one exchange atomically; returns its path. Re-writing the same exchange is a
        no-op (the name is derived from its content and fetch time). ``extra`` adds fields to
        the envelope (provenance of an imported answer: ``bronze/importer.py``)."""
        final, text = self.prepare(month, attempt, extra=extra)
        return final if text is None else self.put(final, text)

    def prepare(
        self, month: str, attempt: Attempt, *, extra: dict[str, Any] | None = None
    ) -> tuple[Path, bytes | None]:
        """The path of an exchange's file and its envelope's JSON (None when the file is stored
        already): :meth:`write` in two steps, the second (:meth:`put`) free to run elsewhere."""
        doc = {**envelope(attempt), **(extra or {})}
        sha = (doc["content_sha256"] or hashlib.sha256(b"").hexdigest())[:12]
        stamp = attempt.fetched_at.astimezone(UTC).strftime(_STAMP)
        folder = self.month_dir(month) / attempt.key
        final = folder / f"{stamp}-a{attempt.attempt}-{attempt.outcome}-{sha}.json.gz"
        return final, None if final.exists() else envelope_json(doc)

    def put(self, final: Path, text: bytes) -> Path:
        """Compress an envelope's JSON and store it at ``final`` atomically."""
        payload = gzip.compress(text, compresslevel=BRONZE_GZIP_LEVEL, mtime=0)
        with disk_errors(final, "a bronze file"):  # full or read-only disk: say where, what to do
            return atomic_write(final, payload, tmp_name=f".tmp-{uuid.uuid4().hex}")

    def remove_orphans(self, month: str) -> int:
        """Delete the temporary files a killed writer left in the month (``.tmp-*``); call it
        only under the month's collection lock (``month_lock.py``). Returns how many."""
        base = self.month_dir(month)
        if not base.is_dir():
            return 0
        orphans = [
            Path(entry.path)
            for key_dir in os.scandir(base)
            if key_dir.is_dir()
            for entry in os.scandir(key_dir.path)
            if entry.name.startswith(".tmp-")
            or (entry.name.startswith(".") and entry.name.endswith(".tmp"))
        ]
        for path in orphans:
            path.unlink(missing_ok=True)
        return len(orphans)

    def pack_month(self, month: str) -> PackWrite | None:
        """After a month's write: bundle its objects for cold readers where bronze is on object
        storage (``bronze/packs.py``); a folder needs no pack (None)."""
        return None

    def files(self, month: str) -> list[StoredFile]:
        """Every stored exchange of the month, oldest first within each key."""
        base = self.month_dir(month)
        if not base.is_dir():
            return []
        out = [
            StoredFile.parse(Path(entry.path))
            for key_dir in os.scandir(base)
            if key_dir.is_dir()
            for entry in os.scandir(key_dir.path)
            if entry.name.endswith(".json.gz")
        ]
        return sorted(out, key=lambda f: (f.key, f.fetched, f.attempt))

    def archived_files(self, month: str) -> list[StoredFile]:
        """What the month's cold archive holds (``bronze/archive.py``), as names only: these
        paths are not on disk; read them through ``archive.month_store``."""
        archived = ArchivedMonth(self.root.parent, self.dataset, month)
        if not archived.exists:
            return []
        return [
            StoredFile.parse(self.root / rel)
            for rel in archived.entries()
            if rel.endswith(".json.gz")
        ]

    def known_files(self, month: str) -> list[StoredFile]:
        """Hot and archived exchanges of the month (names only), chronological per key."""
        both = {f.path: f for f in [*self.archived_files(month), *self.files(month)]}
        return sorted(both.values(), key=lambda f: (f.key, f.fetched, f.attempt))

    def latest_good(self, month: str) -> dict[str, StoredFile]:
        """Per key, the newest valid answer, hot or archived (coverage; what silver reads)."""
        latest: dict[str, StoredFile] = {}
        for f in self.known_files(month):
            if f.good:
                latest[f.key] = f  # chronological within a key
        return latest

    def versions(self, month: str) -> dict[str, int]:
        """Per key, how many valid answers were stored (revisions seen = versions - 1)."""
        counts: dict[str, int] = {}
        for f in self.known_files(month):
            if f.good:
                counts[f.key] = counts.get(f.key, 0) + 1
        return counts

    def bytes_on_disk(self, month: str) -> int:
        return sum(f.path.stat().st_size for f in self.files(month))


def open_store(location: Path | str | ObjectLocation, dataset: str) -> BronzeStore:
    """The bronze store of ``dataset`` at ``location``: a folder, or an object-store URL
    (``bronze/object_store.py``), whose local copies go to the location's cache."""
    if is_object_url(location):
        location = ObjectLocation(str(location))
    if isinstance(location, ObjectLocation):
        from sec_assets.bronze.object_store import ObjectBronzeStore

        return ObjectBronzeStore(location, dataset)
    return BronzeStore(Path(location), dataset)


@dataclass(frozen=True)
class HoursDue:
    """The hours of a month that have started, against what bronze holds."""

    expected: list[LocalHour]  # every sampled hour of the month started by then, in order
    stored: dict[str, StoredFile]  # per hour key, the newest valid answer (hot or archived)

    @property
    def missing(self) -> list[LocalHour]:
        """The expected hours with no valid answer stored (what a resumed run fetches)."""
        return [h for h in self.expected if h.key not in self.stored]


def hours_due(
    store: BronzeStore, month: Month, *, now: datetime, hours_per_day: int = 24
) -> HoursDue:
    """The hours of ``month`` (sampled at ``hours_per_day``) started by ``now`` and the valid
    answers ``store`` holds for them: the one reading of a month's gaps, shared by the
    collector's plan, the bronze asset's metadata and the coverage sensor."""
    return HoursDue(month.hours_started(now, hours_per_day), store.latest_good(month.label))

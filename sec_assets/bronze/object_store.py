"""Bronze on object storage: the layout of :class:`~sec_assets.bronze.store.BronzeStore` as
object keys (``<dataset>/month=YYYY-MM/<key>/<file>.json.gz``, ``_archive/<dataset>/…``).

An exchange is one conditional PUT (``If-None-Match: *``): atomic, never over an existing key,
so there are no temporary files and nothing half-written to find. Coverage and versions come
from a prefix listing, as the local store reads a folder. Objects are never rewritten, so a
machine keeps every object it wrote or read under its cache folder, checked against the listed
size: a copy per object it wrote or fetched alone, or a member of a month pack kept whole
(``object_cache.py``). Reading a month (silver, totals) fetches what the cache lacks (the month's
pack when it lacks many: ``packs.py``, else concurrently one by one) and lends a store of
exactly the listed objects whose exchanges are read through it (``stored_bytes``); archives get
a local tree of files, on which the local code runs unchanged.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sec_assets import objects
from sec_assets.bronze import object_cache, packs
from sec_assets.bronze.archive_format import ARCHIVE_DIR
from sec_assets.bronze.store import BRONZE_GZIP_LEVEL, BronzeStore, StoredFile
from sec_assets.objects import ObjectLocation

_ARCHIVE_NAME = re.compile(r"^month=(\d{4}-\d{2})(?:\.g\d+)?\.tar\.gz(?:\.sha256)?$")


class ObjectBronzeStore(BronzeStore):
    """Bronze of one dataset at an object-store location; ``root`` is this machine's copies."""

    def __init__(self, location: ObjectLocation, dataset: str) -> None:
        super().__init__(location.cache, dataset)
        self.where = location

    @property
    def location(self) -> ObjectLocation:
        return self.where

    def month_url(self, month: str) -> str:
        return self.where.url_of(self._month_prefix(month))

    def _month_prefix(self, month: str) -> str:
        return f"{self.dataset}/month={month}/"

    def _archive_prefix(self) -> str:
        return f"{ARCHIVE_DIR}/{self.dataset}/"

    # -- writing -------------------------------------------------------------------------------

    def put(self, final: Path, text: bytes) -> Path:
        """One conditional PUT of the gzipped envelope at ``final``'s key (an existing key is
        left as it is: the same exchange), then the machine's copy at ``final``."""
        payload = gzip.compress(text, compresslevel=BRONZE_GZIP_LEVEL, mtime=0)
        rel = final.relative_to(self.root.parent).as_posix()
        if objects.put_new(self.where.url, rel, payload) or not final.exists():
            object_cache.keep_copy(final, payload)
        return final

    def remove_orphans(self, month: str) -> int:
        """Nothing to remove: a PUT is whole or absent."""
        return 0

    def pack_month(self, month: str, *, min_new: int = packs.PACK_MIN_NEW) -> packs.PackWrite:
        """A new pack of the month's objects when at least ``min_new`` are not in its largest
        pack (objects are only added until the month is archived, which deletes its packs, so
        the count tells); the older packs deleted (``packs.py``)."""
        listed = self.listed(month)
        held = max(packs.month_packs(self.where.url, self.dataset, month).values(), default=0)
        if not listed or len(listed) - held < min_new:
            return packs.PackWrite(None, held)
        _, copies = self._fill(listed, month)
        return packs.publish(self.where.url, self.dataset, month, copies.read_many(listed))

    # -- listing -------------------------------------------------------------------------------

    def listed(self, month: str) -> dict[str, int]:
        """The month's keys (relative to the location) with their sizes."""
        return objects.list_sizes(self.where.url, self._month_prefix(month))

    def files(self, month: str) -> list[StoredFile]:
        base = self.root.parent
        out = [StoredFile.parse(base / k) for k in self.listed(month) if k.endswith(".json.gz")]
        return sorted(out, key=lambda f: (f.key, f.fetched, f.attempt))

    def archive_objects(self, month: str) -> dict[str, int]:
        """The month's archive generations and sidecars (keys with sizes)."""
        every = objects.list_sizes(self.where.url, self._archive_prefix())
        return {
            k: n
            for k, n in every.items()
            if (m := _ARCHIVE_NAME.match(k.rsplit("/", 1)[-1])) and m.group(1) == month
        }

    def archived_files(self, month: str) -> list[StoredFile]:
        if not self.archive_objects(month):
            return []
        with self.tree(month) as tree:
            names = BronzeStore(tree, self.dataset).archived_files(month)
        local = tree / self.dataset
        return [StoredFile.parse(self.root / f.path.relative_to(local)) for f in names]

    def bytes_on_disk(self, month: str) -> int:
        return sum(self.listed(month).values())

    # -- reading -------------------------------------------------------------------------------

    def fill_cache(self, month: str) -> packs.Fetched:
        """The month's listed objects in this machine's cache, and how the missing were read."""
        return self._fill(self.listed(month), month)[0]

    def _fill(self, listed: dict[str, int], month: str) -> tuple[packs.Fetched, object_cache.Held]:
        """Every listed object in the cache, whole: a copy of the listed size, or a member of
        the listed size of the month's cached pack (``object_cache.py``). When
        :data:`packs.PACK_MIN_NEW` or more of the month's objects are in neither, its pack is
        fetched and kept whole (replacing a cached pack with fewer members); whatever is still
        missing is then read concurrently one by one, each kept as a copy."""
        cache = self.root.parent
        held = object_cache.load(cache, self.dataset, month)
        copies = object_cache.Held(cache, held, listed)
        stale = copies.missing()
        hot = {k: n for k, n in stale.items() if k.startswith(self._month_prefix(month))}
        used, from_pack = None, {}
        if len(hot) >= packs.PACK_MIN_NEW:
            fresh = packs.fetch(self.where.url, self.dataset, month)
            from_pack = fresh.matching(hot) if fresh is not None else {}
            if fresh is not None and from_pack:
                object_cache.keep(cache, fresh)
                used, copies = fresh.key, object_cache.Held(cache, fresh, listed)
                stale = copies.missing()
        object_cache.keep_copies(cache, objects.get_many(self.where.url, list(stale)))
        return packs.Fetched(used, sorted(from_pack), sorted(stale)), copies

    def stored_bytes(self, stored: StoredFile) -> bytes:
        """The machine's copy, else the member of its month's cached pack (loaded and checked
        for this one read: a month's readers go through :meth:`readable_month`, which loads it
        once)."""
        try:
            return stored.path.read_bytes()
        except FileNotFoundError:
            month = stored.path.parent.parent.name.removeprefix("month=")
            held = object_cache.load(self.root.parent, self.dataset, month)
            key = stored.path.relative_to(self.root.parent).as_posix()
            if held is None or key not in held.at:
                raise
            return held.member(key)

    @contextmanager
    def tree(self, month: str) -> Iterator[Path]:
        """A local bronze root holding exactly the month's listed objects (hot and archive),
        fetched into the cache where it lacks them (copies linked, pack members written out);
        removed after the block."""
        listed = {**self.listed(month), **self.archive_objects(month)}
        _, copies = self._fill(listed, month)
        cache = self.root.parent
        with tempfile.TemporaryDirectory(prefix=".tree-", dir=cache) as tmp:
            for key in listed:
                target = Path(tmp) / key
                target.parent.mkdir(parents=True, exist_ok=True)
                if key in copies.in_pack:
                    target.write_bytes(copies.read(key))
                else:
                    _link_or_copy(cache / key, target)
            yield Path(tmp)

    @contextmanager
    def readable_month(self, month: str) -> Iterator[BronzeStore]:
        listed = self.listed(month)
        _, copies = self._fill(listed, month)
        yield _Listed(copies, self.dataset, month)

    @contextmanager
    def whole_month(self, month: str) -> Iterator[BronzeStore]:
        from sec_assets.bronze.archive_read import month_store

        if not self.archive_objects(month):  # the hot objects, read in the cache
            with self.readable_month(month) as hot:
                yield hot
            return
        with self.tree(month) as tree, month_store(tree, self.dataset, month) as whole:
            yield whole


class _Listed(BronzeStore):
    """A month's listed objects, read where this machine holds them whole
    (``object_cache.Held``): the cache may hold more (another month's, or copies of objects
    archived since)."""

    def __init__(self, copies: object_cache.Held, dataset: str, month: str) -> None:
        super().__init__(copies.cache, dataset)
        self.month, self.copies = month, copies

    def files(self, month: str) -> list[StoredFile]:
        if month != self.month:
            raise ValueError(f"this store holds {self.month}, not {month}")
        base = self.root.parent
        keys = [k for k in self.copies.listed if k.endswith(".json.gz")]
        out = [StoredFile.parse(base / k) for k in keys]
        return sorted(out, key=lambda f: (f.key, f.fetched, f.attempt))

    def archived_files(self, month: str) -> list[StoredFile]:
        return []

    def stored_bytes(self, stored: StoredFile) -> bytes:
        return self.copies.read(stored.path.relative_to(self.root.parent).as_posix())

    def bytes_on_disk(self, month: str) -> int:
        return sum(n for k, n in self.copies.listed.items() if k.endswith(".json.gz"))


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)

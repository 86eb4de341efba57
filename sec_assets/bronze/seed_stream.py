"""The points of a seed archive, streamed one at a time, in each layout the seed writes.

``data``: a year file ``{"metadata": {...}, "data": [point, ...]}`` (``checkpoint_<year>.json``);
``data_by_year``: the multi-year ``dataset_<start>_<end>.json``
(``{"metadata": {...}, "data_by_year": {"<year>": <year file>}}``); ``list``: a bare list of
points. Provenance of each: ``docs/seed_archives.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sec_assets.bronze.seed_split import split_points

READ_BLOCK = 64 * 1024
LAYOUTS = ("data", "data_by_year", "list")


def archive_layout(path: Path) -> str:
    """Which layout ``path`` has, from its first top-level key or bracket (``data`` when the
    start cannot be parsed: the full pass then reports where the file breaks)."""
    import ijson

    with open(path, "rb") as fh:
        try:
            for prefix, event, value in ijson.parse(fh, buf_size=READ_BLOCK):
                if prefix == "" and event == "start_array":
                    return "list"
                if prefix == "" and event == "map_key" and value in LAYOUTS:
                    return str(value)
                if prefix == "" and event == "end_map":
                    return "data"
        except ijson.JSONError:
            return "data"
    return "data"


def _year_points(events: Iterable[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
    """The events of ``data_by_year.<year>.data.item…``, renamed ``item…``."""
    for prefix, event, value in events:
        if not prefix.startswith("data_by_year."):
            continue
        parts = prefix.split(".", 3)
        if len(parts) == 4 and parts[2] == "data" and parts[3].partition(".")[0] == "item":
            yield parts[3], event, value


def points(fh: BinaryIO, layout: str, *, year: str | None = None) -> Iterator[Any]:
    """Each point of the archive open as ``fh`` (raises ``ijson.JSONError`` or
    ``ArchiveSyntaxError`` where it breaks); of a multi-year file, only ``year``'s when given.
    Year files and lists are cut point by point and parsed whole (``seed_split.py``); the
    multi-year file, and a file whose start is not shaped as its layout, stream through
    ``ijson``'s events."""
    import ijson

    if layout in ("data", "list"):
        split = split_points(fh, layout)
        if split is not None:
            return split
        fh.seek(0)
    if layout == "data_by_year" and year is None:
        events = ijson.parse(fh, use_float=True, buf_size=READ_BLOCK)
        return ijson.items(_year_points(events), "item")
    prefix = {"list": "item", "data": "data.item"}.get(layout, f"data_by_year.{year}.data.item")
    return ijson.items(fh, prefix, use_float=True, buf_size=READ_BLOCK)

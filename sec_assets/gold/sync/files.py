"""The embedded fallback: each payload's row as ``<folder>/<id>.json``, replaced atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sec_assets.diskerrors import disk_errors
from sec_assets.files import atomic_write
from sec_assets.gold.sync.envelope import check_payload_id, to_json
from sec_assets.gold.sync.report import Target


def dashboard_stats_dir(data_dir: Path, table: str = "dashboard_stats") -> Path:
    """``gold/<table>/``: ``dashboard_stats`` (what the dashboard reads) or ``research_stats``."""
    return data_dir / "gold" / check_payload_id(table)


class JsonFileSink:
    """Writes the same rows the Supabase table holds, one file per payload id."""

    target: Target = "files"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def location(self) -> str:
        return str(self.folder)

    def path_for(self, payload_id: str) -> Path:
        return self.folder / f"{check_payload_id(payload_id)}.json"

    def write(self, row: dict[str, Any]) -> None:
        path = self.path_for(row["id"])
        with disk_errors(path, "a gold payload"):  # full or read-only disk: say where, what to do
            atomic_write(path, to_json(row), sync_dir=True)

    def prune(self, keep: set[str]) -> list[str]:
        """Delete ``<id>.json`` for every id not in ``keep``; returns the ids deleted."""
        gone = [p for p in self.folder.glob("*.json") if p.stem not in keep]
        for path in gone:
            path.unlink(missing_ok=True)
        return [p.stem for p in gone]

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"JsonFileSink(folder={str(self.folder)!r})"

"""Which charts of the dashboard (``simonkey1/dashboard-sec``) each published payload feeds,
as ``make demo`` prints it: from the contract (:mod:`sec_assets.gold.contract`) and the
payload files the gold assets wrote."""

from __future__ import annotations

from pathlib import Path

from sec_assets.gold import local_files
from sec_assets.gold.contract import CONTRACT, DASHBOARD_TABLE, RESEARCH_IDS, RESEARCH_TABLE


def chart_lines(data_dir: Path) -> list[str]:
    """One line per payload id: its rows, its table and the charts it feeds."""
    lines = []
    for pid, spec in CONTRACT.items():
        rows = _rows(data_dir, pid)
        note = " (empty: the rows left out are listed in data_coverage)" if rows == "0" else ""
        charts = ", ".join(spec.charts)
        lines.append(f"{pid:<22} {rows:>6} rows → {DASHBOARD_TABLE}: {charts}{note}")
    for pid in RESEARCH_IDS:
        rows = _rows(data_dir, pid)
        lines.append(f"{pid:<22} {rows:>6} rows → {RESEARCH_TABLE} (research; not read)")
    return lines


def _rows(data_dir: Path, payload_id: str) -> str:
    try:
        return str(len(local_files.read_payload(data_dir, payload_id)))
    except FileNotFoundError:
        return "-"

"""Archives written as the seed writes them, for tests, bench and demo (``docs/seed_archives.md``).

Year file (``checkpoint_<year>.json``, ``core/async_historical_scraper.py``):
``{"metadata": {...}, "data": [point, ...]}`` with ``json.dump(indent=2, ensure_ascii=False)``,
streamed point by point here so a file of hundreds of MB is generated in bounded memory. Its
points (:func:`point`) carry ``success``, ``fecha_consultada``, ``hora_server_scraping`` and
``data`` — the keys the seed's own readers take from them. The multi-year
``dataset_<a>_<b>.json`` (:func:`write_dataset`) nests year files under ``data_by_year``;
:func:`historical_point` is the point ``core/historical_scraper.py`` returns, and
:func:`write_point_list` a bare list of them. Points come from the simulator (``sim_points``)
or from a fast row template (``write_bulk_archive``, for the memory-bound test and the bench).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sec_sim.seed_rows import VariedRows
from sec_sim.service import SimService
from sec_sim.timeutil import hour_index

SEED_HOURS = (0, 6, 12, 18)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return text.replace("\n", "\n" + pad)


def write_archive(path: Path, points: Iterable[dict[str, Any]], metadata: dict[str, Any]) -> int:
    """Stream ``points`` into ``path`` as the seed's year file (metadata first); returns bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{\n  "metadata": ' + _indent(json.dumps(metadata, indent=2), 2))
        fh.write(',\n  "data": [')
        for n, one in enumerate(points):
            fh.write("," if n else "")
            fh.write("\n    " + _indent(json.dumps(one, indent=2, ensure_ascii=False), 4))
        fh.write("\n  ]\n}")
    return path.stat().st_size


def write_dataset(path: Path, years: dict[int, list[dict[str, Any]]]) -> int:
    """The seed's multi-year ``dataset_<a>_<b>.json``: year files under ``data_by_year``."""
    by_year = {str(y): {"metadata": metadata_of(p, y), "data": p} for y, p in years.items()}
    doc = {
        "metadata": {"title": "Dataset Completo - Interrupciones Eléctricas Chile"},
        "data_by_year": by_year,
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return path.stat().st_size


def write_point_list(path: Path, points: list[dict[str, Any]]) -> int:
    """A bare JSON list of points (what ``scrape_date_range`` returns, dumped)."""
    path.write_text(json.dumps(points, indent=2, ensure_ascii=False), encoding="utf-8")
    return path.stat().st_size


def metadata_of(points: list[dict[str, Any]], year: int) -> dict[str, Any]:
    """The seed's year metadata for a list of points."""
    return {
        "year": year,
        "total_points": len(points),
        "successful": sum(p.get("success") is True for p in points),
        "total_records": sum(len(p.get("data", [])) for p in points),
        "duration": 0.0,
    }


def _asked(year: int, month: int, day: int, hour: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00"


def _server_time(year: int, month: int, day: int, hour: int) -> str:
    return f"{day:02d}/{month:02d}/{year:04d} {hour:02d}:05"


def point(year: int, month: int, day: int, hour: int, rows: list | None, **kw: Any) -> dict:
    """One point of a year file: success and rows, or ``success: false`` and the error."""
    asked = _asked(year, month, day, hour)
    if rows is None:
        error = kw.get("error", "HTTP 500")
        return {"success": False, "fecha_consultada": asked, "error": error, "data": []}
    return {
        "success": True,
        "fecha_consultada": asked,
        "hora_server_scraping": kw.get("scraped", _server_time(year, month, day, hour)),
        "data": rows,
    }


def historical_point(year: int, month: int, day: int, hour: int, rows: list) -> dict:
    """The point ``SECHistoricalScraper.scrape_datetime`` returns: no flag (a failure raises),
    the server time as ``GetHoraServer`` answered it."""
    return {
        "data": rows,
        "hora_server": [{"FECHA": _server_time(year, month, day, hour)}],
        "fecha_consultada": _asked(year, month, day, hour),
    }


def sim_points(
    service: SimService,
    year: int,
    month: int,
    *,
    hours: Iterable[int] = SEED_HOURS,
    failed: Iterable[str] = (),
) -> Iterator[dict[str, Any]]:
    """The month's points as the seed would have scraped them from ``service`` (day by day,
    its hours in order); hours in ``failed`` (``YYYY-MM-DDTHH``) are recorded as failures."""
    failed = set(failed)
    day = 1
    while True:
        try:
            moment = datetime(year, month, day)
        except ValueError:
            return
        for hour in hours:
            key = f"{moment.date().isoformat()}T{hour:02d}"
            if key in failed:
                yield point(year, month, day, hour, None, error="Timeout after 3 retries")
            else:
                rows = service.por_fecha(hour_index(moment.replace(hour=hour)))
                yield point(year, month, day, hour, rows)
        day += 1


LEGACY_TEMPLATE = {
    "DIA_INT": 2,
    "MES_INT": 8,
    "ANHO_INT": 2024,
    "HORA": 0,
    "DIA": 0,
    "MES": 0,
    "ANHO": 0,
    "NOMBRE_REGION": "Región de Ñuble",
    "NOMBRE_COMUNA": "Chillán Viejo",
    "NOMBRE_EMPRESA": "COPELEC",
    "CLIENTES_AFECTADOS": 1234,
    "ACTUALIZADO_HACE": "0 Dias 2 Horas 17 Minutos ",
    "FECHA_INT_STR": "2/8/2024",
}


def write_bulk_archive(
    path: Path, year: int, rows_per_point: int, *, days: int = 365, seed: int | None = None
) -> int:
    """A large year file, fast: legacy points 4 a day (every 50th failed). Without ``seed`` the
    rows are rendered once and repeated; with it every point's rows are drawn afresh
    (``seed_rows.VariedRows``: comunas, companies, customers, start dates and row counts vary,
    deterministic by seed). Streams; returns the file's size in bytes."""
    total = days * len(SEED_HOURS)
    varied = VariedRows(seed, rows_per_point) if seed is not None else None
    if varied is None:
        # Outages that started on the year's first day: never after a point's hour.
        began = {"DIA_INT": 1, "MES_INT": 1, "ANHO_INT": year, "FECHA_INT_STR": f"1/1/{year}"}
        rows = [
            dict(LEGACY_TEMPLATE, **began, CLIENTES_AFECTADOS=i + 1) for i in range(rows_per_point)
        ]
        rows_text = _indent(json.dumps(rows, indent=2, ensure_ascii=False), 6)
        counts = [rows_per_point] * total
    else:
        counts = [varied.count(SEED_HOURS[i % len(SEED_HOURS)]) for i in range(total)]
    ok = [n for i, n in enumerate(counts, 1) if i % 50]
    meta = {
        "year": year,
        "total_points": total,
        "successful": len(ok),
        "total_records": sum(ok),
        "duration": 0.0,
    }
    start = datetime(year, 1, 1).toordinal()
    num = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{\n  "metadata": ' + _indent(json.dumps(meta, indent=2), 2) + ',\n  "data": [')
        for ordinal in range(start, start + days):
            d = datetime.fromordinal(ordinal)
            for hour in SEED_HOURS:
                num += 1
                head = point(d.year, d.month, d.day, hour, None if num % 50 == 0 else [])
                head.pop("data")
                if num % 50 == 0:
                    body = "[]"
                elif varied is None:
                    body = rows_text
                else:
                    body = varied.render(d.replace(hour=hour), counts[num - 1])
                text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
                fh.write(("," if num > 1 else "") + "\n    " + _indent(text, 4))
                fh.write(f',\n      "data": {body}\n    }}')
        fh.write("\n  ]\n}")
    return path.stat().st_size

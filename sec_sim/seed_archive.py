"""Archives in the shape of the seed's ``checkpoint_<year>.json``, for tests, bench and demo.

``{"metadata": {...}, "data": [point, ...]}`` written as the seed wrote it (``indent=2``,
``ensure_ascii=False``), but streamed point by point so a file of hundreds of MB is generated
in bounded memory. Points come from the simulator (``sim_points``) or from a fast synthetic
row template (``bulk_points``, for the memory-bound test and the benchmark).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sec_sim.service import SimService
from sec_sim.timeutil import hour_index

SEED_HOURS = (0, 6, 12, 18)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return text.replace("\n", "\n" + pad)


def write_archive(path: Path, points: Iterable[dict[str, Any]], metadata: dict[str, Any]) -> int:
    """Stream ``points`` into ``path`` in the seed's layout (metadata first); returns bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{\n  "metadata": ' + _indent(json.dumps(metadata, indent=2), 2))
        fh.write(',\n  "data": [')
        for n, one in enumerate(points):
            fh.write("," if n else "")
            fh.write("\n    " + _indent(json.dumps(one, indent=2, ensure_ascii=False), 4))
        fh.write("\n  ]\n}")
    return path.stat().st_size


def metadata_of(points: list[dict[str, Any]], year: int) -> dict[str, Any]:
    """The seed's year metadata for a list of points."""
    return {
        "year": year,
        "total_points": len(points),
        "successful": sum(p.get("success") is True for p in points),
        "total_records": sum(len(p.get("data") or []) for p in points),
        "duration": 0.0,
    }


def point(year: int, month: int, day: int, hour: int, num: int, rows: list | None, **kw) -> dict:
    """One point as the seed's collector recorded it: success and rows, or an error."""
    base: dict[str, Any] = {
        "fecha": f"{year:04d}-{month:02d}-{day:02d}",
        "hora": hour,
        "anho": year,
        "mes": month,
        "dia": day,
        "point_num": num,
    }
    if rows is None:
        return {"success": False, **base, "error": kw.get("error", "HTTP 500"), "data": []}
    scraped = kw.get("scraped", f"{day:02d}/{month:02d}/{year:04d} {hour:02d}:05")
    return {
        "success": True,
        **base,
        "hora_server_scraping": scraped,
        "total_registros": len(rows),
        "data": rows,
    }


def sim_points(
    service: SimService,
    year: int,
    month: int,
    *,
    hours: Iterable[int] = SEED_HOURS,
    failed: Iterable[str] = (),
) -> Iterator[dict[str, Any]]:
    """The month's points as the seed would have scraped them from ``service``; hours in
    ``failed`` (``YYYY-MM-DDTHH``) are recorded as failures."""
    failed = set(failed)
    day, num = 1, 0
    while True:
        try:
            moment = datetime(year, month, day)
        except ValueError:
            return
        for hour in hours:
            num += 1
            key = f"{moment.date().isoformat()}T{hour:02d}"
            at = moment.replace(hour=hour)
            if key in failed:
                yield point(year, month, day, hour, num, None, error="Timeout after 3 retries")
            else:
                yield point(year, month, day, hour, num, service.por_fecha(hour_index(at)))
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


def write_bulk_archive(path: Path, year: int, rows_per_point: int, *, days: int = 365) -> int:
    """A large archive, fast: legacy points 4 a day (every 50th failed) whose rows are rendered
    once and repeated. Streams; returns the file's size in bytes."""
    rows = [dict(LEGACY_TEMPLATE, CLIENTES_AFECTADOS=i + 1) for i in range(rows_per_point)]
    rows_text = _indent(json.dumps(rows, indent=2, ensure_ascii=False), 6)
    total = days * len(SEED_HOURS)
    ok = total - total // 50
    meta = {
        "year": year,
        "total_points": total,
        "successful": ok,
        "total_records": ok * rows_per_point,
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
                head = point(d.year, d.month, d.day, hour, num, None if num % 50 == 0 else [])
                head.pop("data")
                if num % 50:
                    head["total_registros"] = rows_per_point
                body = "[]" if num % 50 == 0 else rows_text
                text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
                fh.write(("," if num > 1 else "") + "\n    " + _indent(text, 4))
                fh.write(f',\n      "data": {body}\n    }}')
        fh.write("\n  ]\n}")
    return path.stat().st_size

"""Varying legacy rows for large generated seed archives (``seed_archive.write_bulk_archive``).

Each point lists outages drawn afresh, deterministically by seed: comunas weighted by their
customers with their real regions and distribution companies, customers affected from a few to
thousands (capped at the comuna's customers), start dates on the point's day or up to three days
before (padded or not), the elapsed time since the start with or without the service's trailing
space, and a point's row count moving with the hour of the day and from day to day. Rows are
rendered as ``json.dump(indent=2, ensure_ascii=False)`` writes them inside a year file's point,
straight to text, so hundreds of MB are written in seconds.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from itertools import accumulate

from sec_sim.master import MasterData, load_master

_PAD = " " * 8
_ROW = (
    "{{\n"
    + _PAD
    + '  "DIA_INT": {d},\n'
    + _PAD
    + '  "MES_INT": {m},\n'
    + _PAD
    + '  "ANHO_INT": {y},\n'
    + _PAD
    + '  "HORA": 0,\n'
    + _PAD
    + '  "DIA": 0,\n'
    + _PAD
    + '  "MES": 0,\n'
    + _PAD
    + '  "ANHO": 0,\n'
    + _PAD
    + '  "NOMBRE_REGION": {region},\n'
    + _PAD
    + '  "NOMBRE_COMUNA": {comuna},\n'
    + _PAD
    + '  "NOMBRE_EMPRESA": {empresa},\n'
    + _PAD
    + '  "CLIENTES_AFECTADOS": {n},\n'
    + _PAD
    + '  "ACTUALIZADO_HACE": "{days} Dias {hours} Horas {minutes} Minutos{space}",\n'
    + _PAD
    + '  "FECHA_INT_STR": "{fecha}"\n'
    + _PAD
    + "}}"
)
#: Relative outage load by local hour (evening peak, quiet early morning).
_HOUR_LOAD = {0: 0.8, 6: 0.6, 12: 1.0, 18: 1.3}


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


class VariedRows:
    """Draws the rows of each point of one archive; deterministic by ``seed``."""

    def __init__(self, seed: int, rows_per_point: int, master: MasterData | None = None) -> None:
        master = master or load_master()
        self.rng = random.Random(seed)
        self.mean = rows_per_point
        self.comunas = [
            (
                _text(master.regions[c.cut_region].sec_name),
                _text(c.sec_name),
                [_text(master.empresas[e].nombre) for e, _ in master.comuna_empresas[c.cut]],
                max(c.clientes, 1),
            )
            for c in master.comunas
            if master.comuna_empresas.get(c.cut)
        ]
        self.weights = list(accumulate(c[3] ** 0.5 for c in self.comunas))

    def count(self, hour: int) -> int:
        """Rows of a point at local ``hour``: the mean, times the hour's load and a day's mood."""
        mood = self.rng.lognormvariate(0.0, 0.35)
        return max(1, round(self.mean * _HOUR_LOAD.get(hour, 1.0) * mood / 0.95))

    def render(self, moment: datetime, n: int) -> str:
        """``n`` rows of the point asked at ``moment``, as the JSON list text of its ``data``."""
        rng, day = self.rng, moment.date()
        picks = rng.choices(self.comunas, cum_weights=self.weights, k=n)
        rows = []
        for region, comuna, empresas, customers in picks:
            back = rng.randrange(4)
            start = day - timedelta(days=back)
            minutes = back * 1440 + moment.hour * 60 + rng.randrange(60)
            rows.append(
                _ROW.format(
                    d=start.day,
                    m=start.month,
                    y=start.year,
                    region=region,
                    comuna=comuna,
                    empresa=empresas[rng.randrange(len(empresas))],
                    n=min(customers, int(rng.paretovariate(1.2) * 3)),
                    days=minutes // 1440,
                    hours=minutes % 1440 // 60,
                    minutes=minutes % 60,
                    space=" " if rng.random() < 0.6 else "",
                    fecha=_start_text(start, rng.random() < 0.5),
                )
            )
        return "[\n        " + ",\n        ".join(rows) + "\n      ]"


def _start_text(start: date, padded: bool) -> str:
    if padded:
        return f"{start.day:02d}/{start.month:02d}/{start.year}"
    return f"{start.day}/{start.month}/{start.year}"

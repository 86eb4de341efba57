"""Render an hour's true numbers as the service's JSON rows, in either payload era.

Quirks added here (deterministic, before any fault): the occasional row with empty region and
comuna and one customer, legacy keys split into fragments, ``FECHA_INT_STR`` padded or not,
``ACTUALIZADO_HACE`` with or without a trailing space, and preliminary (revised later) counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sec_sim.master import MasterData
from sec_sim.rand import unit, units
from sec_sim.table import LegacyKey

Row = dict[str, Any]

# The service's two row shapes, defined once (the client validates against the same tuples).
FRAGMENT_RATE = 0.1


def revise(seed: int, hour: int, day: int, rate: float, key: object, customers: int) -> int:
    """A preliminary count as published on simulator day ``day`` (ordinal), or the final one."""
    if rate <= 0 or unit(seed, "revision", hour, day, key) >= rate:
        return customers
    delta = max(1, round(customers * (0.02 + 0.13 * unit(seed, "revision-size", hour, day, key))))
    if unit(seed, "revision-sign", hour, day, key) < 0.5:
        return max(1, customers - delta)
    return customers + delta


def current_rows(master: MasterData, rows: Sequence[tuple[int, int]]) -> list[Row]:
    out: list[Row] = []
    for comuna_idx, customers in rows:
        comuna = master.comunas[comuna_idx]
        out.append(
            {
                "NOMBRE_REGION": master.regions[comuna.cut_region].sec_name,
                "NOMBRE_COMUNA": comuna.sec_name,
                "CLIENTES_AFECTADOS": customers,
            }
        )
    return out


@lru_cache(maxsize=1 << 16)
def _zero_padded(seed: int, key: tuple[str, str, str]) -> bool:
    return unit(seed, "pad", key) < 0.5


def format_start_date(seed: int, key: tuple[str, str, str], moment: datetime) -> str:
    """``d/m/yyyy``, zero padded for some keys (comuna, company, date) and not for others."""
    if _zero_padded(seed, key):
        return f"{moment.day:02d}/{moment.month:02d}/{moment.year}"
    return f"{moment.day}/{moment.month}/{moment.year}"


def format_elapsed(minutes: int, trailing_space: bool) -> str:
    minutes = max(0, minutes)
    days, rest = divmod(minutes, 24 * 60)
    text = f"{days} Dias {rest // 60} Horas {rest % 60} Minutos"
    return text + " " if trailing_space else text


def split_fragments(draws: Sequence[float], customers: int) -> list[int]:
    """Most keys come whole; some are split in 2-3 positive fragments summing to the value.

    ``draws``: at least four uniforms (split or not, in how many, and where).
    """
    if customers < 2 or draws[0] >= FRAGMENT_RATE:
        return [customers]
    parts = 2 if customers == 2 or draws[1] < 0.6 else 3
    cuts = sorted({1 + int(draws[2 + i] * (customers - 1)) for i in range(parts - 1)})
    bounds = [0, *cuts, customers]
    return [b - a for a, b in itertools.pairwise(bounds) if b > a]


def legacy_rows(
    master: MasterData, seed: int, hour_moment: datetime, keys: Sequence[LegacyKey]
) -> list[Row]:
    out: list[Row] = []
    hour_key = hour_moment.isoformat()
    for comuna_idx, empresa_id, start_date, earliest, customers in keys:
        comuna = master.comunas[comuna_idx]
        key = (comuna.cut, empresa_id, start_date.isoformat())
        elapsed = int((hour_moment - earliest).total_seconds() // 60)
        fecha = format_start_date(seed, key, earliest)
        draws = units(seed, "legacy", *key, hour_key)  # fragments [0:4], trailing spaces [4:7]
        for i, part in enumerate(split_fragments(draws, customers)):
            out.append(
                {
                    # The outage's start date, as FECHA_INT_STR (the seed's saved answers).
                    "DIA_INT": earliest.day,
                    "MES_INT": earliest.month,
                    "ANHO_INT": earliest.year,
                    "HORA": 0,
                    "DIA": 0,
                    "MES": 0,
                    "ANHO": 0,
                    "NOMBRE_REGION": master.regions[comuna.cut_region].sec_name,
                    "NOMBRE_COMUNA": comuna.sec_name,
                    "NOMBRE_EMPRESA": master.empresas[empresa_id].nombre,
                    "CLIENTES_AFECTADOS": part,
                    "ACTUALIZADO_HACE": format_elapsed(elapsed - 7 * i, draws[4 + i] < 0.6),
                    "FECHA_INT_STR": fecha,
                }
            )
    return out


def empty_name_row(era: str, hour_moment: datetime) -> Row:
    """The stray row the real service sometimes lists: no region, no comuna, 1 customer."""
    if era == "current":
        return {"NOMBRE_REGION": "", "NOMBRE_COMUNA": "", "CLIENTES_AFECTADOS": 1}
    return {
        "DIA_INT": hour_moment.day,
        "MES_INT": hour_moment.month,
        "ANHO_INT": hour_moment.year,
        "HORA": 0,
        "DIA": 0,
        "MES": 0,
        "ANHO": 0,
        "NOMBRE_REGION": "",
        "NOMBRE_COMUNA": "",
        "NOMBRE_EMPRESA": "",
        "CLIENTES_AFECTADOS": 1,
        "ACTUALIZADO_HACE": format_elapsed(0, True),
        "FECHA_INT_STR": f"{hour_moment.day}/{hour_moment.month}/{hour_moment.year}",
    }

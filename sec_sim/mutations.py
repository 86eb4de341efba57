"""Payload faults: deterministic damage to the rows of an otherwise good answer."""

from __future__ import annotations

from typing import Any

from sec_sim.faults import FaultKind
from sec_sim.rand import unit

UNKNOWN_COMUNAS = ("Comuna Inexistente", "Villa Sin Nombre", "Xyzzy")


def _chosen(seed: int, key: str, tag: str, count: int, rate: float) -> set[int]:
    """Positions hit at ``rate`` (at least one when there are rows)."""
    hit = {i for i in range(count) if unit(seed, tag, key, i) < rate}
    if count and not hit:
        hit.add(int(unit(seed, tag, key, "one") * count))
    return hit


def _rename(row: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(new if k == old else k): v for k, v in row.items()}


def set_customers(rows: list[dict[str, Any]], customers: dict[str, int]) -> list[dict[str, Any]]:
    """Each ``"Region|Comuna"`` answers one row with the given customers (its fragments
    dropped); a comuna the hour does not list is added, shaped like the hour's first row."""
    out = list(rows)
    for name, value in customers.items():
        region, _, comuna = name.partition("|")
        hits = [i for i, r in enumerate(out) if r.get("NOMBRE_COMUNA") == comuna]
        template = dict(out[hits[0]] if hits else out[0] if out else {})
        template.update(NOMBRE_REGION=region, NOMBRE_COMUNA=comuna, CLIENTES_AFECTADOS=value)
        out = [r for i, r in enumerate(out) if i not in hits[1:]]
        if hits:
            out[hits[0]] = template
        else:
            out.append(template)
    return out


def mutate(
    kind: FaultKind,
    payload: Any,
    seed: int,
    key: str,
    customers: dict[str, int] | None = None,
) -> Any:
    """Apply a payload fault to a list of row dicts; anything else is returned unchanged."""
    if kind is FaultKind.EMPTY:
        return []
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        return payload
    rows: list[dict[str, Any]] = [dict(r) for r in payload]
    if kind is FaultKind.SET_CUSTOMERS:
        return set_customers(rows, customers or {})
    if kind is FaultKind.DEGRADED:
        if len(rows) <= 2:
            return rows
        keep = min(len(rows), 2 + int(unit(seed, "degraded-n", key) * 4))
        ranked = sorted(range(len(rows)), key=lambda i: unit(seed, "degraded", key, i))
        return [rows[i] for i in sorted(ranked[:keep])]
    if kind is FaultKind.DRIFT_MISSING_FIELD:
        return [{k: v for k, v in r.items() if k != "CLIENTES_AFECTADOS"} for r in rows]
    if kind is FaultKind.DRIFT_RENAMED_FIELD:
        return [_rename(r, "NOMBRE_COMUNA", "COMUNA") for r in rows]
    if kind is FaultKind.NULL_CUSTOMERS:
        for i in _chosen(seed, key, "null", len(rows), 0.15):
            if "CLIENTES_AFECTADOS" in rows[i]:
                rows[i]["CLIENTES_AFECTADOS"] = (
                    None if unit(seed, "null-v", key, i) < 0.5 else "N/A"
                )
        return rows
    if kind is FaultKind.BAD_DATES:
        for i in _chosen(seed, key, "dates", len(rows), 0.2):
            if "FECHA_INT_STR" in rows[i]:
                year = rows[i].get("ANHO_INT", 2026)
                bad = f"31/02/{year}" if unit(seed, "dates-v", key, i) < 0.5 else "--"
                rows[i]["FECHA_INT_STR"] = bad
        return rows
    if kind is FaultKind.UNKNOWN_NAMES:
        for i in _chosen(seed, key, "names", len(rows), 0.1):
            if "NOMBRE_COMUNA" in rows[i]:
                pick = int(unit(seed, "names-v", key, i) * len(UNKNOWN_COMUNAS))
                rows[i]["NOMBRE_COMUNA"] = UNKNOWN_COMUNAS[pick]
        return rows
    return rows

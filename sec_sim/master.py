"""Master data for the simulator: the official regions, comunas and companies (the seed CSVs).

The seeds ship inside the package (``sec_assets/seeds/*.csv``) and are read with
:mod:`importlib.resources`. Customers per comuna are the region's ``clientes`` split by the
comunas' population share (largest-remainder rounding, so comunas add up to the region).
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

SEED_PACKAGE = "sec_assets"
SEED_FOLDER = "seeds"
SEEDS_DIR_ENV = "SEC_SIM_SEEDS_DIR"

# Geographic order, north to south: neighbours in this list are neighbouring regions.
REGION_ORDER_NORTH_SOUTH: tuple[int, ...] = (15, 1, 2, 3, 4, 5, 13, 6, 7, 16, 8, 9, 14, 10, 11, 12)


@dataclass(frozen=True)
class Region:
    cut: int
    nombre: str
    nombre_largo: str
    sec_name: str
    roman: str
    clientes: int


@dataclass(frozen=True)
class Comuna:
    idx: int
    cut: str
    nombre: str
    cut_region: int
    sec_name: str
    poblacion: int
    clientes: int


@dataclass(frozen=True)
class Empresa:
    empresa_id: str
    nombre: str
    nombre_oficial: str


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys caches
class MasterData:
    regions: dict[int, Region]
    comunas: tuple[Comuna, ...]
    empresas: dict[str, Empresa]
    # cut_comuna -> ((empresa_id, share), ...), shares summing to 1.
    comuna_empresas: dict[str, tuple[tuple[str, float], ...]]
    aliases: tuple[tuple[str, str, str], ...] = ()
    region_lookup: dict[str, int] = field(default_factory=dict)

    @property
    def national_clientes(self) -> int:
        return sum(r.clientes for r in self.regions.values())

    def comunas_of(self, cut_region: int) -> list[Comuna]:
        return [c for c in self.comunas if c.cut_region == cut_region]

    def find_region(self, name: str) -> Region | None:
        """Resolve a region name the way callers write it (short, long, accents or not)."""
        cut = self.region_lookup.get(normalize_name(name))
        if cut is None:
            cut = self.region_lookup.get(_strip_region_prefix(normalize_name(name)))
        return None if cut is None else self.regions[cut]


def normalize_name(text: str) -> str:
    """Lowercase, no accents (ñ kept as n), no punctuation, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in plain.replace("`", "").replace("'", ""))
    return " ".join(cleaned.split())


_REGION_PREFIXES = (
    "region metropolitana de ",
    "region de la ",
    "region del ",
    "region de ",
    "region ",
    "del ",
    "de la ",
    "de ",
)


def _strip_region_prefix(name: str) -> str:
    for prefix in _REGION_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _read_csv(source: Traversable | Path, name: str) -> list[dict[str, str]]:
    text = (source / name).read_text(encoding="utf-8-sig")
    return [
        {k.strip(): (v or "").strip() for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]


def _split_by_population(total: int, pops: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``pops`` (largest remainder), each part at least 1."""
    weight = sum(pops) or len(pops)
    raw = [total * (p or 1) / weight if sum(pops) else total / len(pops) for p in pops]
    parts = [int(x) for x in raw]
    order = sorted(range(len(pops)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return [max(1, p) for p in parts]


def _region_lookup(regions: Iterable[Region], aliases: Iterable[tuple[str, str, str]]) -> dict:
    lookup: dict[str, int] = {}
    for r in regions:
        for name in (r.nombre, r.nombre_largo, r.sec_name, r.roman, str(r.cut)):
            key = normalize_name(name)
            lookup.setdefault(key, r.cut)
            lookup.setdefault(_strip_region_prefix(key), r.cut)
    for kind, alias, target in aliases:
        if kind.lower().startswith("region") and target.isdigit():
            lookup.setdefault(normalize_name(alias), int(target))
    return lookup


def _comuna_empresas(
    rows: list[dict[str, str]], comunas: tuple[Comuna, ...], empresas: dict[str, Empresa]
) -> dict[str, tuple[tuple[str, float], ...]]:
    raw: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        share = float(row.get("share") or 0) or 0.0
        if row["empresa_id"] in empresas and share > 0:
            raw.setdefault(row["cut_comuna"].zfill(5), []).append((row["empresa_id"], share))
    fallback = next(iter(empresas))
    out: dict[str, tuple[tuple[str, float], ...]] = {}
    for c in comunas:
        pairs = raw.get(c.cut) or [(fallback, 1.0)]
        total = sum(s for _, s in pairs)
        out[c.cut] = tuple((e, s / total) for e, s in pairs)
    return out


def load_master_from(source: Traversable | Path) -> MasterData:
    """Read the five seed CSVs from a folder (a package resource folder or a path)."""
    region_rows = _read_csv(source, "regions.csv")
    regions = {
        int(r["cut_region"]): Region(
            cut=int(r["cut_region"]),
            nombre=r["nombre_region"],
            nombre_largo=r.get("nombre_region_largo") or r["nombre_region"],
            sec_name=r.get("sec_name") or r["nombre_region"],
            roman=r.get("roman", ""),
            clientes=int(float(r["clientes"])),
        )
        for r in region_rows
    }
    comuna_rows = sorted(_read_csv(source, "comunas.csv"), key=lambda r: r["cut_comuna"].zfill(5))
    comunas: list[Comuna] = []
    for cut_region, region in regions.items():
        members = [r for r in comuna_rows if int(r["cut_region"]) == cut_region]
        pops = [int(float(r.get("poblacion") or 0)) for r in members]
        for row, pop, clientes in zip(
            members, pops, _split_by_population(region.clientes, pops), strict=True
        ):
            comunas.append(
                Comuna(
                    idx=0,
                    cut=row["cut_comuna"].zfill(5),
                    nombre=row["nombre_comuna"],
                    cut_region=cut_region,
                    sec_name=row.get("sec_name") or row["nombre_comuna"],
                    poblacion=pop,
                    clientes=clientes,
                )
            )
    comunas.sort(key=lambda c: c.cut)
    ordered = tuple(Comuna(**{**c.__dict__, "idx": i}) for i, c in enumerate(comunas))
    empresas = {
        r["empresa_id"]: Empresa(
            r["empresa_id"],
            r.get("nombre_empresa") or r["empresa_id"],
            r.get("nombre_oficial") or r.get("nombre_empresa") or "",
        )
        for r in _read_csv(source, "empresas.csv")
    }
    aliases = tuple(
        (r.get("kind", ""), r.get("alias", ""), r.get("target", ""))
        for r in _read_csv(source, "aliases.csv")
    )
    return MasterData(
        regions=regions,
        comunas=ordered,
        empresas=empresas,
        comuna_empresas=_comuna_empresas(
            _read_csv(source, "comuna_empresa.csv"), ordered, empresas
        ),
        aliases=aliases,
        region_lookup=_region_lookup(regions.values(), aliases),
    )


@lru_cache(maxsize=1)
def load_master() -> MasterData:
    """The master data shipped with the package (cached).

    ``SEC_SIM_SEEDS_DIR`` points the simulator at another folder of the same five CSVs.
    """
    override = os.environ.get(SEEDS_DIR_ENV)
    if override:
        return load_master_from(Path(override))
    return load_master_from(resources.files(SEED_PACKAGE) / SEED_FOLDER)

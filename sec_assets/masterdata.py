"""Master data shipped with the package as versioned seed files (``sec_assets/seeds``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

SEEDS = files("sec_assets") / "seeds"


def _schemas() -> dict[str, dict[str, pl.DataType]]:
    """The typed key columns of each seed table."""
    import polars as pl

    return {
        "regions": {"cut_region": pl.Int32(), "clientes": pl.Int64()},
        "comunas": {"cut_comuna": pl.Utf8(), "cut_region": pl.Int32(), "cut_provincia": pl.Utf8()},
        "empresas": {"empresa_id": pl.Utf8()},
        "comuna_empresa": {"cut_comuna": pl.Utf8(), "share": pl.Float64()},
        "aliases": {"target": pl.Utf8()},
    }


@cache
def seed(name: str) -> pl.DataFrame:
    """A seed table by name (``regions``, ``comunas``, ``empresas``, ``comuna_empresa``,
    ``aliases``), with its key columns typed."""
    import polars as pl

    overrides = _schemas().get(name, {})
    with (SEEDS / f"{name}.csv").open("rb") as fh:
        return pl.read_csv(fh, schema_overrides=overrides)


def regions() -> pl.DataFrame:
    return seed("regions").sort("cut_region")

"""The gold SQL models (``dbt_like_sql/models/<name>.sql``: one query per file, the file name
is the model's name; every model is a SELECT except ``recent_30d``, which creates the view
``gold.recent_30d``) and what gold code reads.

A model names the silver tables it reads with ``{{ ref('table') }}`` (:mod:`.refs`): the
monthly ones are read for the months whose blocking checks passed only (:mod:`.trusted`).
Gold Python code declares what it reads as :class:`Inputs` next to the code: the models it
runs and its own SQL (with refs too). From that declaration come its asset's ``deps``
(:mod:`.lineage`) and the SQL shown in the asset's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from sec_assets.gold.refs import reads, render
from sec_assets.sql_files import models_dir
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Model:
    name: str
    source: str  # the file as written, refs included

    @property
    def reads(self) -> frozenset[str]:
        """The silver tables the model reads (:func:`.refs.reads`)."""
        return reads(self.source, where=f"model {self.name}")

    @property
    def sql(self) -> str:
        """The SQL the warehouse runs."""
        return render(self.source, where=f"model {self.name}")


@cache
def model(name: str) -> Model:
    path = models_dir() / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no gold model {name!r} at {path}")
    return Model(name, path.read_text(encoding="utf-8").strip().rstrip(";"))


def model_names() -> list[str]:
    return sorted(p.stem for p in models_dir().glob("*.sql"))


def model_sql(name: str) -> str:
    return model(name).sql


def run_model(
    wh: Warehouse,
    name: str,
    params: dict[str, object] | None = None,
    *,
    months: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The rows of a gold model, computed by the warehouse; ``months``: the only months whose
    rows it reads, if known (DuckDB then binds those months' tables alone)."""
    return wh.read(model_sql(name), params, months=months)


@dataclass(frozen=True)
class Inputs:
    """What a piece of gold code reads: the models it runs, its own queries (name → SQL with
    refs) and the gold payloads whose rows it reads (by the payload's own computation, e.g. the
    figures redrawing ``reliability_indices``). ``a | b`` is what code calling both reads."""

    models: tuple[str, ...] = ()
    queries: Mapping[str, str] = field(default_factory=dict)
    payloads: tuple[str, ...] = ()

    def __or__(self, other: Inputs) -> Inputs:
        models = tuple(dict.fromkeys((*self.models, *other.models)))
        payloads = tuple(dict.fromkeys((*self.payloads, *other.payloads)))
        return Inputs(models, {**self.queries, **other.queries}, payloads)

    def sources(self) -> dict[str, str]:
        """Name → SQL as written: the models first, then the queries."""
        return {**{m: model(m).source for m in self.models}, **self.queries}

    def tables(self) -> frozenset[str]:
        """The silver tables read, ``month_checks`` included when monthly tables are read for
        the trusted months."""
        found = [model(m).reads for m in self.models]
        found += [reads(sql, where=f"query {name}") for name, sql in self.queries.items()]
        return frozenset().union(*found)

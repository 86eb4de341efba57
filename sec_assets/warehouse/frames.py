"""What a caller hands the warehouse: replace steps and frames, checked against the catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets.warehouse.schema import TableInfo

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class ReplaceStep:
    """Replace the rows of ``silver.<table>`` selected by ``where`` and/or ``delete_in`` by
    ``frame``.

    ``where`` is a conjunction of equalities (``{"month": "2024-01"}``); ``delete_in`` is
    ``(column, values)`` and selects rows whose column is one of ``values`` (``("evento_id",
    ids)`` replaces events by id). At least one of them is required: a step never wipes a whole
    table by accident. Every frame column named in ``where`` must hold only the where value.

    ``within`` is ``(column, values)`` for a column that the primary key determines (rows
    sharing a key share its value: ``("month", months)`` of episodes, whose id hashes their
    first hour): the step reads and deletes only rows whose column is one of ``values``, so
    its cost follows the rows it replaces, not the table's size. The frame's values must be
    among them. A keys-checked table (DuckDB's episodes) checks its keys among those rows only;
    a merged table still refuses a frame key held by any row outside the step.
    """

    table: str
    frame: pl.DataFrame
    where: Mapping[str, object] = field(default_factory=dict)
    delete_in: tuple[str, Sequence[object]] | None = None
    within: tuple[str, Sequence[object]] | None = None


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int

    @property
    def rows(self) -> int:
        return self.inserted + self.updated


def conform(frame: pl.DataFrame, info: TableInfo) -> pl.DataFrame:
    """``frame`` with the table's columns in table order, ready for either engine's bulk path.

    Columns the frame lacks are left to the table (NULL; NOT NULL ones then fail loudly). Time
    zones are made explicit: tz-aware values for TIMESTAMPTZ are converted to UTC, naive ones
    are taken as UTC; a tz-aware value for a naive TIMESTAMP column is refused (its wall clock
    would be ambiguous).
    """
    import polars as pl

    unknown = [c for c in frame.columns if c not in info.types]
    if unknown:
        raise ValueError(f"silver.{info.name} has no column(s) {unknown}; it has {info.columns}")
    exprs: list[pl.Expr] = []
    for name in (c for c in info.columns if c in frame.columns):
        dtype, kind, col = frame.schema[name], info.kinds[name], pl.col(name)
        if isinstance(dtype, pl.Datetime):
            col = col.dt.cast_time_unit("us")
            if dtype.time_zone is not None and kind == "timestamp":
                raise ValueError(
                    f"silver.{info.name}.{name} is a naive TIMESTAMP but the frame's column is "
                    f"tz-aware ({dtype.time_zone}); convert it to the intended wall clock first"
                )
            if kind == "timestamptz":
                col = (
                    col.dt.convert_time_zone("UTC")
                    if dtype.time_zone is not None
                    else col.dt.replace_time_zone("UTC")
                )
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            col = col.cast(pl.String)
        elif isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Object | pl.Binary):
            raise ValueError(f"silver.{info.name}.{name}: unsupported column type {dtype}")
        exprs.append(col)
    if not exprs:
        raise ValueError(f"the frame for silver.{info.name} has no column of the table")
    return frame.select(exprs)


def refuse_duplicate_keys(
    frame: pl.DataFrame,
    keys: Sequence[str],
    table: str,
    scope: Mapping[str, object] | None = None,
) -> None:
    """An upsert would let one duplicate win silently on DuckDB (Postgres refuses): refuse
    duplicates up front, on both engines, naming a few (and the partition, e.g. the month)."""
    dupes = frame.filter(frame.select(keys).is_duplicated()).select(keys).unique()
    if dupes.height:
        shown = dupes.head(5).rows()
        where = f" ({', '.join(f'{k}={v}' for k, v in scope.items())})" if scope else ""
        raise WarehouseIntegrityError(
            f"duplicate key: {dupes.height} key(s) {tuple(keys)} appear more than once in the "
            f"frame for silver.{table}{where}, e.g. {shown}; nothing written (rolled back)"
        )


def check_step(step: ReplaceStep, tables: Mapping[str, TableInfo]) -> TableInfo:
    """The table of ``step`` after checking its scope against the catalog and the frame."""
    import polars as pl

    info = tables.get(step.table)
    if info is None:
        raise ValueError(f"no table silver.{step.table} (known: {sorted(tables)})")
    if not step.where and step.delete_in is None:
        raise ValueError(f"replace of silver.{step.table} needs where= or delete_in=")
    scope_cols = [*step.where, *([step.delete_in[0]] if step.delete_in else [])]
    scope_cols += [step.within[0]] if step.within else []
    bad = [c for c in scope_cols if c not in info.types]
    if bad:
        raise ValueError(f"silver.{step.table} has no column(s) {bad}")
    if step.within is not None:
        column, values = step.within
        if not info.primary_key:
            raise ValueError(f"within= needs a primary key; silver.{step.table} has none")
        if column not in step.frame.columns:
            raise ValueError(f"the frame for silver.{step.table} lacks within column {column!r}")
        outside = step.frame.filter(~pl.col(column).is_in(list(values))).height
        if outside:
            raise ValueError(
                f"{outside} row(s) of the frame for silver.{step.table} have a {column} outside "
                f"within= {sorted(map(str, values))}"
            )
    for col, value in step.where.items():
        if value is None:
            raise ValueError(f"where {col} = None selects nothing; use a value")
        if col in step.frame.columns:
            outside = step.frame.filter(pl.col(col).ne_missing(pl.lit(value))).height
            if outside:
                raise ValueError(
                    f"{outside} row(s) of the frame for silver.{step.table} have {col} != "
                    f"{value!r}: they would land outside the partition being replaced"
                )
    if info.primary_key:  # keyed tables may be merged on the key: it must be whole and unique
        missing = [c for c in info.primary_key if c not in step.frame.columns]
        if missing:
            raise ValueError(
                f"the frame for silver.{step.table} lacks primary-key column(s) {missing}"
            )
        refuse_duplicate_keys(step.frame, info.primary_key, info.name, step.where)
    elif info.is_parent:
        raise ValueError(f"silver.{step.table} is referenced by foreign keys but has no key")
    return info

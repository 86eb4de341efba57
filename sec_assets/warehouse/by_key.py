"""Replacement by key (:meth:`~.base.Warehouse.replace_rows`) turned into replace steps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sec_assets.warehouse.frames import ReplaceStep
from sec_assets.warehouse.params import in_list
from sec_assets.warehouse.schema import SCHEMA, TableInfo, quote

if TYPE_CHECKING:
    import polars as pl

#: ``read(sql, params, months=...)`` of the warehouse.
Reader = Callable[..., "pl.DataFrame"]


def steps_by_key(
    info: TableInfo,
    frame: pl.DataFrame,
    *,
    key: str,
    replaced: pl.DataFrame,
    within: str | None,
    kept_where: tuple[str, Mapping[str, object]] | None,
    read: Reader,
) -> list[ReplaceStep]:
    """The steps that replace the stored rows ``replaced`` and the stored versions of
    ``frame``'s rows by ``frame`` (see :meth:`~.base.Warehouse.replace_rows`): a table stored
    per month is rewritten month by month, its kept rows read through ``read``; any other
    table deletes by key (bounded by ``within``) and inserts."""
    import polars as pl

    gone = pl.concat([replaced[key], frame[key]]).unique()
    if not info.partition_by:
        bound = None
        if within is not None:
            touched = pl.concat([replaced[within], frame[within]]).unique().sort()
            bound = (within, touched.to_list())
        return [ReplaceStep(info.name, frame, delete_in=(key, gone.to_list()), within=bound)]
    (column,) = info.partition_by
    values = sorted(set(replaced[column].to_list()) | set(frame[column].to_list()))
    if not values:
        return []
    kept = _kept_rows(info.name, column, values, frame.columns, kept_where, read)
    kept = kept.filter(~pl.col(key).is_in(gone.implode()))
    whole = pl.concat([kept.select(pl.col(c).cast(t) for c, t in frame.schema.items()), frame])
    return [
        ReplaceStep(info.name, whole.filter(pl.col(column) == v), where={column: v}) for v in values
    ]


def _kept_rows(
    table: str,
    column: str,
    values: Sequence[Any],
    columns: Sequence[str],
    kept_where: tuple[str, Mapping[str, object]] | None,
    read: Reader,
) -> pl.DataFrame:
    """The stored rows of the months ``values`` that satisfy ``kept_where``."""
    selected = ", ".join(quote(c) for c in columns)
    condition, extra = kept_where if kept_where is not None else ("TRUE", {})
    marks, params = in_list("v", values)
    if set(extra) & set(params):
        raise ValueError(f"kept_where may not name parameters :v0, :v1, …: {sorted(extra)}")
    return read(
        f"SELECT {selected} FROM {quote(SCHEMA)}.{quote(table)} "
        f"WHERE {quote(column)} IN {marks} AND ({condition})",
        {**params, **extra},
        months=values,
    )

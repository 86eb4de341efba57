"""A monthly asset's run of one month or of a range of months (a ranged backfill run).

A backfill runs up to :data:`~sec_assets.partitions.MAX_MONTHS_PER_RUN` months per run. An asset
whose work is a month's does the months of its run one after the other, in order
(:func:`month_by_month`): each month's materialization carries that month's own metadata, what a
run of that month alone records, and every month's also a table of the run's months
(``months_of_run``). A month that fails does not undo the others: the run goes on with the next
month, reports the months done as materialized on their partitions, then fails naming each failed
month and why. A failure every later month would repeat (:class:`StopMonths`, a configuration
mistake) ends the range at once. A run of one month is that month's work alone, as it always was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from sec_assets.month import Month

#: A month's metadata, as ``MaterializeResult(metadata=...)`` takes it.
MonthMetadata = dict[str, Any]
#: Longest error text kept per month in the run's table and failure.
ERROR_CHARS = 300


class StopMonths(dg.Failure):
    """A month's failure that every later month of the run would repeat (a wrong base URL): in a
    range, the months after it are not attempted."""


@dataclass(frozen=True)
class _Failed:
    reason: str
    metadata: Mapping[str, object] = field(default_factory=dict)  # the failure's, if any
    outcome: str = "failed"


def month_by_month(
    context: dg.AssetExecutionContext,
    work: Callable[[Month], MonthMetadata],
    *,
    columns: Sequence[str] = ("dagster/row_count",),
) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
    """``work`` on every month of the run, in order; ``work`` returns the month's metadata or
    raises (``dg.Failure`` with the month's reason). ``columns``: the metadata entries (numbers
    or text) shown per month in the run's table."""
    months = Month.range_of(context)
    if len(months) == 1:
        yield dg.MaterializeResult(metadata=work(months[0]))
        return
    done: dict[Month, MonthMetadata] = {}
    failed: dict[Month, _Failed] = {}
    for i, month in enumerate(months):
        try:
            done[month] = work(month)
        except Exception as exc:  # the month fails alone; the range goes on (or stops: below)
            failed[month] = _Failed(_reason(exc), getattr(exc, "metadata", None) or {})
            # a Failure says all; anything else keeps its traceback in the run's log
            context.log.error(
                f"{month}: {failed[month].reason}", exc_info=not isinstance(exc, dg.Failure)
            )
            if isinstance(exc, StopMonths):
                stopped = f"{month} stopped the run"
                for later in months[i + 1 :]:
                    failed[later] = _Failed(stopped, outcome="not attempted")
                break
    table = {"months_of_run": _table(months, done, failed, columns)}
    if failed:
        for month, metadata in done.items():
            yield dg.AssetMaterialization(
                context.asset_key, partition=month.key, metadata={**metadata, **table}
            )
        lines = "\n".join(f"- {m}: {f.outcome}: {f.reason}" for m, f in sorted(failed.items()))
        raise dg.Failure(
            description=f"{len(failed)} of {len(months)} months of the run were not "
            f"materialized (the other {len(done)} are; re-running the months listed is "
            f"enough):\n{lines}",
            metadata=table,
        )
    for month, metadata in done.items():
        context.add_asset_metadata(metadata, partition_key=month.key)
    yield dg.MaterializeResult(metadata=table)


def _reason(exc: BaseException) -> str:
    text = exc.description if isinstance(exc, dg.Failure) else f"{type(exc).__name__}: {exc}"
    text = text or type(exc).__name__
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


Cell = str | int | float | bool | None


def _cell(value: object) -> Cell:
    value = getattr(value, "value", value)  # a MetadataValue's own value
    return value if isinstance(value, str | int | float | bool) else None


def _table(
    months: list[Month],
    done: Mapping[Month, Mapping[str, object]],
    failed: Mapping[Month, _Failed],
    columns: Sequence[str],
) -> dg.TableMetadataValue:
    """One row per month of the run: its outcome, the ``columns`` of its metadata (of its
    failure's, for a failed month) and its error."""
    rows: list[dict[str, Cell]] = []
    for month in months:
        f = failed.get(month, _Failed("", done.get(month, {}), "materialized"))
        row: dict[str, Cell] = {"month": month.label, "outcome": f.outcome, "error": f.reason}
        rows.append(row | {c: _cell(f.metadata.get(c)) for c in columns})
    kinds = {c: _kind([r[c] for r in rows]) for c in columns}
    schema = {"month": "string", "outcome": "string", **kinds, "error": "string"}
    return dg.MetadataValue.table(
        [dg.TableRecord({name: row[name] for name in schema}) for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(n, k) for n, k in schema.items()]),
    )


def _kind(values: list[Cell]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "float"
    return "string"

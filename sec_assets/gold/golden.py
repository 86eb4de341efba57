"""The golden Parquet of a run's months, both grains (``golden_eventos``'s work, without
Dagster: the benches run it too).

Each month's files are rewritten atomically from its episodes and its observations, or removed
when a blocking check of the month did not pass. A run of several months reads the warehouse
for several at once (:class:`GoldenRange`, :data:`READ_MONTHS` a query): the months' verdicts,
their episodes and their observations, each in one query; each month's files are then written
in turn from its own rows, the same bytes a run of that month alone writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sec_assets.gold import local_files, observations
from sec_assets.gold.models import run_model
from sec_assets.gold.trusted import excluded_months
from sec_assets.month import Month
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl

#: Months read by one query: a run of 12 months reads them in 3 blocks. Per month of the
#: history, 4 months a query cost about as little CPU as 12, without 12 months' frames and
#: DuckDB's work on them in memory at once (docs/benchmarks.md, "Designs").
READ_MONTHS = 4


@dataclass(frozen=True)
class GoldenMonth:
    """What :meth:`GoldenRange.write` did for a month: the month left out (``reason``, its
    files ``removed``), or its episodes (``rows``) and observations (``observations``) written
    to ``paths`` (grain → file)."""

    rows: int
    reason: str | None = None
    removed: bool = False
    paths: dict[str, Path] = field(default_factory=dict)
    observations: int = 0


@dataclass(frozen=True)
class _Read:
    months: list[Month]
    excluded: dict[str, str]  # month label → why gold leaves it out
    events: pl.DataFrame
    observed: observations.MonthsRead


class GoldenRange:
    """The golden Parquet of a run's consecutive ``months``: the warehouse read for ``block``
    months at once, when the first of them is written (:meth:`write`, in the months' order).
    A read that fails fails the month asked; the next month asked reads again."""

    def __init__(
        self, wh: Warehouse, data_dir: Path, months: Sequence[Month], block: int = READ_MONTHS
    ) -> None:
        self.wh, self.data_dir = wh, data_dir
        self.blocks = [list(months[i : i + block]) for i in range(0, len(months), block)]
        self._read: _Read | None = None

    def _rows(self, month: Month) -> _Read:
        if self._read is None or month not in self._read.months:
            self._read = None  # the block before is let go first
            [months] = [b for b in self.blocks if month in b]
            excluded = excluded_months(self.wh, [m.label for m in months])
            events = run_model(self.wh, "golden_eventos", observations.bounds(months))
            self._read = _Read(months, excluded, events, observations.read_months(self.wh, months))
        return self._read

    def write(self, month: Month) -> GoldenMonth:
        """The month's files of both grains, or their removal when gold leaves it out."""
        read = self._rows(month)
        reason = read.excluded.get(month.label)
        if reason is not None:
            return GoldenMonth(0, reason, local_files.remove_golden_month(self.data_dir, month))
        events = observations.of_month(read.events, month)
        observed = read.observed.take(month)
        paths = {
            grain: local_files.write_golden_month(self.data_dir, month, frame, grain)
            for grain, frame in (("fact_eventos", events), ("fact_observaciones", observed))
        }
        return GoldenMonth(events.height, paths=paths, observations=observed.height)


def golden_month(wh: Warehouse, data_dir: Path, month: Month) -> GoldenMonth:
    """The month's golden Parquet of both grains (a run of that month alone)."""
    return GoldenRange(wh, data_dir, [month]).write(month)

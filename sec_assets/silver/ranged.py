"""Loading a range of months in one run (a ranged backfill), without Dagster.

A run of N months does what N partition runs do with the fixed costs paid once: one
connection for all writes, a second process parsing month k+1 while month k is written
(:func:`parsed_months`, in a child Python of its own: :mod:`.parser_process`; it hands each
month over as uncompressed Arrow files that the writer reads back, not as a pickle through a
pipe), episodes rebuilt once for the range. Each month keeps its own transaction, so one bad
month rolls back alone and the run fails naming it, the others committed
(:func:`load_observations_range`). A range of one month runs in this process, exactly as a
single partition run does.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sec_assets.bronze.store import open_store
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation
from sec_assets.silver.caps import read_caps
from sec_assets.silver.load import ensure_dimensions, observation_steps, read_answers
from sec_assets.silver.parser_process import ParserProcess, ParserProcessError
from sec_assets.silver.transform import SilverMonth, build_month
from sec_assets.warehouse.base import BatchResult, Warehouse
from sec_assets.warehouse.errors import WarehouseIntegrityError
from sec_assets.warehouse.frames import ReplaceStep

if TYPE_CHECKING:
    import polars as pl

PREFETCH = 2  # parsed months queued ahead of the writer (memory: ~2 months of frames)
#: Fact columns kept per loaded month for the run's metadata (the rest is dropped once written).
KEPT_FACT_COLUMNS = [
    "hour_key",
    "geografia_id",
    "empresa_id",
    "clientes_afectados",
    "nombre_comuna_raw",
]


@dataclass(frozen=True)
class ParsedMonth:
    month: Month
    silver: SilverMonth
    raw_rows: int


@dataclass(frozen=True)
class FailedMonth:
    """A month whose bronze could not be parsed (an archive that fails its checksum, a
    parser that died on it): the range goes on without it."""

    month: Month
    error: str

    @classmethod
    def of(cls, month: Month, exc: BaseException) -> FailedMonth:
        return cls(month, f"could not be parsed: {type(exc).__name__}: {exc}")


@dataclass
class RangeLoad:
    """What a ranged observations load did, month by month."""

    loaded: dict[Month, ParsedMonth] = field(default_factory=dict)
    written: dict[Month, dict[str, int]] = field(default_factory=dict)
    failed: dict[Month, str] = field(default_factory=dict)  # month -> the error
    dimensions: list[str] = field(default_factory=list)  # written first (ensure_dimensions)

    @property
    def raw_rows(self) -> int:
        return sum(p.raw_rows for p in self.loaded.values())

    def combined(self) -> SilverMonth:
        """The loaded months' frames, one after the other in calendar order (for the run's
        metadata; the months may have been loaded out of order)."""
        import polars as pl

        parsed = [self.loaded[m] for m in sorted(self.loaded)]
        return SilverMonth(
            **{
                f.name: pl.concat([getattr(p.silver, f.name) for p in parsed])
                for f in fields(SilverMonth)
            }
        )

    def raise_failures(self) -> None:
        if self.failed:
            lines = "\n".join(f"- {m}: {err}" for m, err in sorted(self.failed.items()))
            raise WarehouseIntegrityError(
                f"{len(self.failed)} month(s) of the range could not be parsed or loaded "
                f"(each rolled back alone; the other months are committed):\n{lines}"
            )


def parse_month(
    bronze_root: Path | ObjectLocation, month: Month, caps: pl.DataFrame, hours_per_day: int
) -> ParsedMonth:
    """Bronze → the month's silver frames (no warehouse): what the second process runs."""
    answers = read_answers(open_store(bronze_root, "sec_snapshots"), month)
    silver = build_month(answers, caps, month=month, hours_per_day=hours_per_day)
    return ParsedMonth(month, silver, answers.rows.height)


def spool_month(
    bronze_root: Path | ObjectLocation,
    month: Month,
    caps: pl.DataFrame,
    hours_per_day: int,
    folder: Path,
) -> ParsedMonth:
    """:func:`parse_month` in the parser process, its frames left in ``folder`` as Arrow IPC
    files (uncompressed: writing and reading them costs less than pickling and unpickling)."""
    parsed = parse_month(bronze_root, month, caps, hours_per_day)
    for f in fields(SilverMonth):
        getattr(parsed.silver, f.name).write_ipc(
            folder / f"{parsed.month}.{f.name}.arrow", compression="uncompressed"
        )
    return replace(parsed, silver=None)  # type: ignore[arg-type]


def _unspooled(parsed: ParsedMonth, folder: Path) -> ParsedMonth:
    """The frames :func:`spool_month` left, read back (the files are removed once read)."""
    import polars as pl

    frames = {}
    for f in fields(SilverMonth):
        path = folder / f"{parsed.month}.{f.name}.arrow"
        frames[f.name] = pl.read_ipc(path)
        path.unlink()
    return replace(parsed, silver=SilverMonth(**frames))


def parsed_months(
    bronze_root: Path | ObjectLocation,
    months: list[Month],
    caps: dict[Month, pl.DataFrame],
    hours_per_day: int,
) -> Iterator[ParsedMonth | FailedMonth]:
    """Every month parsed: the first here, the others in a second process
    (:class:`ParserProcess`), up to ``PREFETCH`` ahead of the consumer (the second process
    starts while this one parses the first month). Parsing takes longer than
    writing, so a consumer that would wait for the second process parses the range's last
    month not yet handed to it instead: both processes keep parsing, and the months come in
    calendar order except those (each month is its own transaction).

    A month that cannot be parsed comes as a :class:`FailedMonth` and the others still come;
    if the second process dies, the month it was parsing fails and the rest are parsed here."""

    def parse(m: Month) -> ParsedMonth | FailedMonth:
        try:
            return parse_month(bronze_root, m, caps[m], hours_per_day)
        except Exception as exc:  # the month fails alone, named, with its error
            return FailedMonth.of(m, exc)

    first = months[0]
    if len(months) == 1:
        yield parse(first)
        return
    with (
        tempfile.TemporaryDirectory(prefix="sec-range-") as spool,
        ParserProcess() as parser,
    ):
        folder = Path(spool)
        todo, submitted = deque(months[1:]), deque[Month]()

        def submit() -> None:
            if todo:
                m = todo.popleft()
                parser.submit("spool_month", bronze_root, m, caps[m], hours_per_day, folder)
                submitted.append(m)

        for _ in range(PREFETCH):
            submit()
        yield parse(first)
        while parser.pending:
            if todo and not parser.answering:
                yield parse(todo.pop())  # rather than wait
                continue
            month = submitted.popleft()
            try:
                parsed: ParsedMonth | FailedMonth = _unspooled(parser.result(), folder)
            except ParserProcessError as exc:  # the child is gone: the rest are parsed here
                yield FailedMonth.of(month, exc)
                for m in [*submitted, *todo]:
                    yield parse(m)
                return
            except Exception as exc:
                parsed = FailedMonth.of(month, exc)
            submit()
            yield parsed
            del parsed  # not kept alive through the parses of the months stolen next


def load_observations_range(
    wh: Warehouse,
    bronze_root: Path | ObjectLocation,
    months: list[Month],
    *,
    hours_per_day: int = 24,
    on_batch: Callable[[Month, BatchResult], None] | None = None,
) -> RangeLoad:
    """Every month of ``months`` (in order, but for the months :func:`parsed_months` parses
    here rather than wait) on one connection, parsing overlapped with
    writing (the parser's months wait as Arrow files; this process holds the month it writes
    and at most one it parses), one transaction per month.

    A month that fails (its bronze cannot be parsed: :class:`FailedMonth`; or it breaks a
    reference, a duplicate or null key:
    :class:`~sec_assets.warehouse.errors.WarehouseIntegrityError`) rolls back alone; the months
    before it stay committed and the ones after it are still loaded. Failures are collected per
    month: call :meth:`RangeLoad.raise_failures` once the range is done. Re-running the range
    reloads the committed months identically; one transaction for the whole range would lose a
    year of good months to one bad one. The dimensions the months reference are written first
    when the warehouse lacks them (:func:`ensure_dimensions`). ``on_batch`` is told of each
    month's write (its :class:`~sec_assets.warehouse.base.BatchResult`) as it ends."""
    result = RangeLoad(dimensions=ensure_dimensions(wh))
    caps = read_caps(wh, months)
    pending: list[ParsedMonth] = []

    def batches() -> Iterator[list[ReplaceStep]]:
        for parsed in parsed_months(bronze_root, months, caps, hours_per_day):
            if isinstance(parsed, FailedMonth):
                result.failed[parsed.month] = parsed.error
                continue
            pending.append(parsed)
            yield observation_steps(parsed.silver, parsed.month)

    for batch in wh.replace_each(batches(), keep_going=True):
        parsed = pending.pop()
        if on_batch is not None:
            on_batch(parsed.month, batch)
        if batch.error is not None:
            result.failed[parsed.month] = str(batch.error)
            continue
        result.written[parsed.month] = batch.written
        # Keep what the run's metadata needs, not the month's whole facts (memory).
        slim = replace(parsed.silver, facts=parsed.silver.facts.select(KEPT_FACT_COLUMNS))
        result.loaded[parsed.month] = replace(parsed, silver=slim)
    return result


def range_bounds(months: list[Month]) -> tuple[datetime, datetime]:
    """[first hour of the first month, first hour after the last month), in wall-clock time."""
    return months[0].local_start, months[-1].next().local_start

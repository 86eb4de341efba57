"""Loading one month into the warehouse: the work behind the silver assets, without Dagster,
so the benchmark and the tests drive exactly what the assets run."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.silver import dims, month_checks
from sec_assets.silver.bronze_reader import MonthAnswers, read_month
from sec_assets.silver.caps import read_caps
from sec_assets.silver.customers import region_customers
from sec_assets.silver.events import KEY, overlapping_stored, reconstruct_events, touching
from sec_assets.silver.transform import SilverMonth, build_month
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.frames import ReplaceStep, UpsertResult

if TYPE_CHECKING:
    import polars as pl

#: One episode load at a time per warehouse, across processes: a load reads, recomputes and
#: replaces, and two adjacent months doing that at once could store a shortened episode.
EVENTS_LOCK = "events"
EVENTS_LOCK_TIMEOUT_S = 900.0
EVENT_WINDOW = timedelta(days=4)  # first window read around the month; doubled as needed
# Episodes within this margin of the month also depend on its hours (their bounds and
# censoring look at the hour right before and after them): they are recomputed too.
EVENT_EDGE = timedelta(days=1)  # neighbouring data read to keep episodes whole across months
DIMENSIONS = {
    "dim_geografia": (dims.dim_geografia, "geografia_id"),
    "dim_empresa": (dims.dim_empresa, "empresa_id"),
    "dim_tiempo": (dims.dim_tiempo, "tiempo_id"),
}


def load_dimension(wh: Warehouse, name: str) -> tuple[pl.DataFrame, UpsertResult]:
    build, key = DIMENSIONS[name]
    frame = build()
    return frame, wh.upsert_dimension(name, frame, key)


def ensure_dimensions(wh: Warehouse) -> list[str]:
    """Write each dimension that lacks some of its members (a fresh warehouse, a newer seed or
    calendar), as its asset would: a monthly load never depends on the dimension assets having
    run. Idempotent (an upsert by key, each in its own transaction); one read of the stored
    keys per dimension otherwise. Returns the dimensions written."""
    written = []
    for name, (build, key) in DIMENSIONS.items():
        frame = build()
        stored = wh.read(f"SELECT {key} FROM silver.{name}")
        if frame.select(key).join(stored, on=key, how="anti").height:
            wh.upsert_dimension(name, frame, key)
            written.append(name)
    return written


def load_region_customers(
    wh: Warehouse, store: BronzeStore, months: Month | Sequence[Month]
) -> pl.DataFrame:
    """The region customers of ``months`` (one, or a range: one transaction per month, one
    connection for all), read from bronze and replaced month by month."""
    import polars as pl

    frames: list[pl.DataFrame] = []

    def batches() -> Iterator[list[ReplaceStep]]:
        for month in [months] if isinstance(months, Month) else months:
            label = month.label
            with store.whole_month(label) as whole:  # archived and hot
                frames.append(region_customers(whole, label))
            yield [ReplaceStep("region_customers", frames[-1], where={"month": label})]

    list(wh.replace_each(batches()))  # raises the first month that breaks a key
    return pl.concat(frames)


@dataclass(frozen=True)
class ObservationsLoad:
    answers: MonthAnswers
    silver: SilverMonth
    written: dict[str, int]
    dimensions: list[str]  # the dimensions this load had to write (:func:`ensure_dimensions`)


def load_observations(
    wh: Warehouse, store: BronzeStore, month: Month, *, hours_per_day: int = 24
) -> ObservationsLoad:
    """Ledger, facts, guardrail counts and quarantine of the month, in one transaction."""
    answers = read_answers(store, month)
    return load_answers(wh, answers, month, hours_per_day=hours_per_day)


def read_answers(store: BronzeStore, month: Month) -> MonthAnswers:
    """The month's answers from bronze (archived or hot): no warehouse involved."""
    with store.whole_month(month.label) as whole:
        return read_month(whole, month.label)


def load_answers(
    wh: Warehouse, answers: MonthAnswers, month: Month, *, hours_per_day: int = 24
) -> ObservationsLoad:
    """The month's frames built from ``answers`` and its caps (:func:`read_caps`: its own
    region customers, else the nearest earlier month's, else the seed's), then written in
    one transaction (inside a caller's :meth:`~Warehouse.session`, on its connection), once
    the dimensions they reference are present (:func:`ensure_dimensions`)."""
    dimensions = ensure_dimensions(wh)
    caps = read_caps(wh, [month])[month]
    silver = build_month(answers, caps, month=month, hours_per_day=hours_per_day)
    written = wh.replace_many(observation_steps(silver, month))
    return ObservationsLoad(answers, silver, written, dimensions)


def observation_steps(silver: SilverMonth, month: Month) -> list[ReplaceStep]:
    """What one month's observation load replaces, in one transaction: its ledger, facts,
    guardrail counts, quarantine, daily customers per comuna, the customer counts its facts
    were capped by and its cadence, and (emptied) its check verdicts."""
    where = {"month": month.label}
    return [
        ReplaceStep("snapshot_ledger", silver.ledger, where=where),
        ReplaceStep("fact_interrupciones", silver.facts, where=where),
        ReplaceStep("guardrail_counts", silver.guardrails, where=where),
        ReplaceStep("quarantine", silver.quarantine, where=where),
        ReplaceStep("comuna_daily_customers", silver.daily, where=where),
        ReplaceStep("customer_caps", silver.caps, where=where),
        ReplaceStep("month_cadence", silver.cadence, where=where),
        month_checks.forget(month.label),
    ]


def load_events(wh: Warehouse, start: datetime, end: datetime) -> tuple[pl.DataFrame, int]:
    """Recompute every episode with an hour in [start, end) from the observations of the
    window around it, and replace them by id together with the stored episodes of the same
    comuna and company they overlap (shorter versions stored before a neighbouring month was
    loaded). Serialized per warehouse (:data:`EVENTS_LOCK`), so months may load in any order
    and in parallel. Returns the episodes written and how many stored rows they replaced."""
    with wh.lock(EVENTS_LOCK, timeout_s=EVENTS_LOCK_TIMEOUT_S):
        return rebuild_events(wh, start, end)


def _months_of(window: dict[str, datetime]) -> tuple[Month, Month]:
    """The first and the last month of the window [a, b)."""
    return Month.containing(window["a"]), Month.containing(window["b"] - timedelta(microseconds=1))


def _read_window(
    wh: Warehouse, window: dict[str, datetime], keys: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Observations (only of ``keys``' comuna and company, if given) and ledger hours in
    [a, b)."""
    # The months let both engines skip the other months' tables (facts are stored a table per
    # month): the read costs the window, not the history.
    sql = (
        "SELECT hora_local, geografia_id, empresa_id, clientes_afectados "
        "FROM silver.fact_interrupciones WHERE month >= :ma AND month <= :mb "
        "AND hora_local >= :a AND hora_local < :b"
    )
    first, last = _months_of(window)
    params: dict[str, object] = {**window, "ma": first.label, "mb": last.label}
    if keys is not None:  # a few keys: pass them as two arrays, matched pairwise
        sql += " AND geografia_id IN (SELECT UNNEST(CAST(:g AS INTEGER[])))"
        params["g"] = sorted(set(keys["geografia_id"].to_list()))
    facts = wh.read(sql, params, months=[m.label for m in first.through(last)])
    if keys is not None:
        facts = facts.join(keys, on=["geografia_id", "empresa_id"], how="semi")
    ledger = wh.read(
        "SELECT hora_local, hora_utc, status FROM silver.snapshot_ledger "
        "WHERE hora_local >= :a AND hora_local < :b",
        window,
    )
    return facts, ledger


def _window_events(
    wh: Warehouse, start: datetime, end: datetime
) -> tuple[pl.DataFrame, dict[str, datetime]]:
    """Episodes within EVENT_EDGE of [start, end), rebuilt from a window of observations
    around the month. While some episode reaches the window's edges (and the window does not
    hold all the data), the window is doubled and the episodes of those comunas and companies
    alone are rebuilt from it: an episode of any length is rebuilt whole, and a long one costs
    a re-read of its own rows only."""
    import polars as pl

    lo, hi = start - EVENT_EDGE, end + EVENT_EDGE
    bounds = wh.read(
        "SELECT MIN(hora_local) AS first, MAX(hora_local) AS last FROM silver.snapshot_ledger"
    )
    first, last = bounds["first"].item(), bounds["last"].item()
    span = EVENT_WINDOW
    window = {"a": start - span, "b": end + span}
    facts, ledger = _read_window(wh, window)
    events = touching(reconstruct_events(facts, ledger), lo, hi)
    while not events.is_empty() and first is not None:
        cut = pl.lit(False)
        if window["a"] > first:
            cut = cut | (pl.col("first_hour") < window["a"] + EVENT_EDGE)
        if window["b"] <= last:
            cut = cut | (pl.col("last_hour") >= window["b"] - EVENT_EDGE)
        keys = events.filter(cut).select(KEY).unique()
        if keys.is_empty():
            break
        span *= 2
        window = {"a": start - span, "b": end + span}
        facts, ledger = _read_window(wh, window, keys)
        rebuilt = touching(reconstruct_events(facts, ledger), lo, hi)
        events = pl.concat([events.join(keys, on=KEY, how="anti"), rebuilt]).sort(
            "first_hour", *KEY
        )
    return events, window


def rebuild_events(wh: Warehouse, start: datetime, end: datetime) -> tuple[pl.DataFrame, int]:
    """:func:`load_events` for a caller already holding :data:`EVENTS_LOCK` (``wh.lock``),
    e.g. to check what it wrote on the same connection."""
    import polars as pl

    lo, hi = start - EVENT_EDGE, end + EVENT_EDGE
    events, window = _window_events(wh, start, end)
    # ``month`` is first_hour's: the bound on it lets the engines skip the later months'
    # tables or row groups (an episode may start long before the window, not after it).
    last = _months_of(window)[1].label
    stored = wh.read(
        "SELECT evento_id, month, geografia_id, empresa_id, first_hour, last_hour "
        "FROM silver.fact_eventos WHERE month <= :mb AND last_hour >= :a AND first_hour < :b",
        {**window, "mb": last},
    )
    overlapping = overlapping_stored(stored, events)
    stale = pl.concat(
        [touching(stored, lo, hi)["evento_id"], overlapping["evento_id"], events["evento_id"]]
    ).unique()
    replaced = stored.filter(pl.col("evento_id").is_in(stale.implode()))
    # evento_id hashes first_hour, whose month is ``month``: the replace reads and deletes
    # only the months it touches, however long the history (docs/benchmarks.md).
    # Every stored episode touching [lo, hi) is in ``stale`` (``stored`` covers the window,
    # which holds [lo, hi)): a month rewritten keeps only episodes outside it, and reads
    # only those (a year's range read back 150k rows to keep none of them). ``stored`` and
    # the rewrite are two transactions: sound because every writer of fact_eventos holds
    # EVENTS_LOCK, as the caller does.
    wh.replace_rows(
        "fact_eventos",
        events,
        key="evento_id",
        replaced=replaced,
        within="month",
        kept_where=(
            "last_hour < :kept_lo OR first_hour >= :kept_hi",
            {"kept_lo": lo, "kept_hi": hi},
        ),
    )
    return events, stale.len()

"""Outage episodes from hourly observations. Pure Polars.

An episode is a run of observations of one comuna and company in consecutive *valid* hours of
the ledger, at whatever cadence it lists them (at 4 a day, 06:00 follows 00:00): hours without
evidence are bridged, a valid hour without the outage ends it. The estimator is
:func:`reconstruct_events`'s (and the README's, and ``docs/cadence.md``'s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.month import LABEL_FORMAT
from sec_assets.warehouse.hashing import md5_key

if TYPE_CHECKING:
    import polars as pl

EVENT_COLUMNS = [
    "evento_id",
    "geografia_id",
    "empresa_id",
    "month",
    "first_hour",
    "last_hour",
    "start_lower",
    "start_upper",
    "end_lower",
    "end_upper",
    "peak_customers",
    "customer_hours",
    "snapshots",
    "gap_hours",
    "censored_start",
    "censored_end",
    "tiempo_id",
]
KEY = ["geografia_id", "empresa_id"]


def _hours_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_minutes() / 60.0


#: Observations reconstructed at once; more are split by comuna into chunks of about this
#: size (an episode belongs to one comuna), which bounds the memory of a year's rebuild: the
#: intermediate frames of 1.1M observations took ~400 MB at once (docs/benchmarks.md).
CHUNK_ROWS = 200_000


def reconstruct_events(facts: pl.DataFrame, ledger: pl.DataFrame) -> pl.DataFrame:
    """Episodes over everything given (chunked by comuna above :data:`CHUNK_ROWS`
    observations: the same rows, the same order)."""
    import polars as pl

    chunks = -(-facts.height // CHUNK_ROWS)
    if chunks <= 1:
        return _reconstruct(facts, ledger)
    parts = facts.with_columns(_chunk=pl.col("geografia_id") % chunks).partition_by(
        "_chunk", include_key=False
    )
    return pl.concat([_reconstruct(part, ledger) for part in parts]).sort("first_hour", *KEY)


def hours_represented(ledger: pl.DataFrame) -> pl.DataFrame:
    """The ledger's hours, sorted, with ``_w``: the hours each stands for, up to the next hour
    listed (UTC when known, so a clock change counts as it lasted); the last one as the one
    before it, a lone hour 1."""
    import polars as pl

    clock = "hora_utc" if "hora_utc" in ledger.columns else "hora_local"
    led = ledger.select("hora_local", "status", *(["hora_utc"] if clock == "hora_utc" else []))
    led = led.unique("hora_local", keep="last").sort("hora_local")
    gap = _hours_between(pl.col(clock).shift(-1), pl.col(clock))
    return led.with_columns(
        pl.coalesce(gap, gap.shift(1), pl.lit(1.0)).cast(pl.Float64).alias("_w")
    ).select("hora_local", "status", "_w")


def _reconstruct(facts: pl.DataFrame, ledger: pl.DataFrame) -> pl.DataFrame:
    """Episodes over everything given. ``facts``: hora_local, geografia_id, empresa_id,
    clientes_afectados; ``ledger``: hora_local, status (and hora_utc, if known) — for the same
    span of hours. The ledger lists the hours sampled: each stands for the hours until the next
    one listed (``hours_represented``, :func:`hours_represented`).

    An episode is a run of observations of one comuna and company (the company is ``no_informada``
    in the current payload era) in consecutive *valid* hours: two observations belong to the same
    episode when no valid hour (ledger status ``ok``) lies between them. Hours without evidence —
    failed, missing, schema errors, degraded or empty answers — are bridged: they neither show the
    outage nor show it ended. A valid hour without the outage ends it.

    Estimator (documented in the README):
    - ``peak_customers``: the largest count observed (the high-water mark);
    - ``customer_hours``: each observation counts until the next valid hour (carry-forward, which
      bridges gaps); the last one of an episode counts ``max(the hours it represents, half the
      step to the next valid hour)``, since the outage ended somewhere in that step. At hourly
      sampling this is the sum of the hourly counts; at 4 a day, Σ customers × 6 h, unbiased
      when the outages' phase is uniform (measured in ``docs/cadence.md``);
    - start bounds: (last valid hour without it, first hour seen]; end bounds: [last hour seen,
      first valid hour without it);
    - censoring: the ledger hour right before the first (after the last) observation is not a valid
      hour, or there is none in the data loaded.
    """
    import polars as pl

    led = hours_represented(ledger).with_columns(
        (pl.col("status") != "ok").cum_sum().alias("_nodata_cum"),
        pl.col("status").shift(1).alias("_prev_status"),
        pl.col("status").shift(-1).alias("_next_status"),
    )
    valid = (
        led.filter(pl.col("status") == "ok")
        .with_row_index("_rank")
        .with_columns(
            pl.col("hora_local").shift(1).alias("_prev_valid"),
            pl.col("hora_local").shift(-1).alias("_next_valid"),
        )
    )
    # Sorted by comuna, company and hour, an episode is a run of rows: a new one starts where
    # the comuna or company changes or a valid hour lies between two rows. Numbered over the
    # whole frame (no window per comuna and company), the episode number alone groups them.
    obs = (
        facts.filter(pl.col("clientes_afectados") > 0)
        .group_by([*KEY, "hora_local"])
        .agg(pl.col("clientes_afectados").sum().alias("c"))
        .join(valid.drop("status"), on="hora_local", how="inner")
        .sort([*KEY, "hora_local"])
        .with_columns(
            (
                pl.any_horizontal(*(pl.col(k).ne_missing(pl.col(k).shift(1)) for k in KEY))
                | (pl.col("_rank").cast(pl.Int64).diff() != 1)
            )
            .fill_null(True)
            .cum_sum()
            .alias("_episode"),
            pl.coalesce(
                _hours_between(pl.col("_next_valid"), pl.col("hora_local")), pl.lit(1.0)
            ).alias("_step"),
        )
        .with_columns(
            pl.when(pl.col("_episode").shift(-1) == pl.col("_episode"))
            .then(pl.col("c") * pl.col("_step"))
            .otherwise(pl.col("c") * pl.max_horizontal(pl.col("_w"), pl.col("_step") / 2))
            .alias("_ch")
        )
    )
    events = (
        obs.group_by("_episode")
        .agg(
            *(pl.col(k).first() for k in KEY),
            pl.col("hora_local").min().alias("first_hour"),
            pl.col("hora_local").max().alias("last_hour"),
            pl.col("c").max().alias("peak_customers"),
            pl.col("_ch").sum().alias("customer_hours"),
            pl.len().cast(pl.Int32).alias("snapshots"),
            pl.col("_prev_valid").first().alias("_pv"),
            pl.col("_next_valid").last().alias("_nv"),
            pl.col("_prev_status").first().alias("_ps"),
            pl.col("_next_status").last().alias("_ns"),
            pl.col("_nodata_cum").first().alias("_nd_first"),
            pl.col("_nodata_cum").last().alias("_nd_last"),
        )
        .with_columns(
            pl.coalesce("_pv", pl.col("first_hour")).alias("start_lower"),
            pl.col("first_hour").alias("start_upper"),
            pl.col("last_hour").alias("end_lower"),
            pl.coalesce("_nv", pl.col("last_hour") + pl.duration(hours=1)).alias("end_upper"),
            (pl.col("_nd_last") - pl.col("_nd_first")).cast(pl.Int32).alias("gap_hours"),
            (pl.col("_ps").is_null() | (pl.col("_ps") != "ok")).alias("censored_start"),
            (pl.col("_ns").is_null() | (pl.col("_ns") != "ok")).alias("censored_end"),
            pl.col("first_hour").dt.strftime(LABEL_FORMAT).alias("month"),
            pl.col("first_hour").dt.strftime("%Y%m%d").cast(pl.Int32).alias("tiempo_id"),
            pl.col("customer_hours").cast(pl.Float64),
        )
    )
    events = md5_key(events, [*KEY, "first_hour"], "evento_id")
    return events.select(EVENT_COLUMNS).sort("first_hour", *KEY)


def touching(events: pl.DataFrame, start, end) -> pl.DataFrame:
    """Episodes with at least one hour seen in [start, end)."""
    import polars as pl

    return events.filter((pl.col("first_hour") < end) & (pl.col("last_hour") >= start))


def overlapping_stored(stored: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``stored`` that share an hour with an episode of ``events`` of the same
    comuna and company. ``events`` are one reconstruction's: per comuna and company they are
    disjoint, so the one starting last at or before a stored episode's last hour is the only
    candidate (an as-of join, linear; a join on the key alone is quadratic in the episodes per
    key, which a year's re-load feels)."""
    import polars as pl

    spans = events.select(
        *KEY, pl.col("first_hour").alias("_f"), pl.col("last_hour").alias("_l")
    ).sort("_f")
    return (
        stored.sort("last_hour")
        .join_asof(
            spans,
            left_on="last_hour",
            right_on="_f",
            by=KEY,
            strategy="backward",
            check_sortedness=False,  # both sorted just above; polars cannot check with `by`
        )
        .filter(pl.col("_l") >= pl.col("first_hour"))
        .drop("_f", "_l")
    )

"""The snapshot ledger: one row per expected local hour of a month, with what bronze holds for
it — ok, empty, degraded, failed, schema_error, wrong_date or missing — and the quarantine of
the hours whose answers could not be used. Pure Polars."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.silver.bronze_reader import MonthAnswers
from sec_assets.silver.text import clean_text

if TYPE_CHECKING:
    import polars as pl

#: Statuses of hours whose stored answer could not be used: quarantined with the reason.
QUARANTINED = ("schema_error", "wrong_date")

DEGRADED_RATIO = 0.25  # comunas below this share of both neighbours' …
DEGRADED_MIN_NEIGHBOUR = 20  # … when the neighbours list at least this many comunas


def ledger(
    answers: MonthAnswers, facts: pl.DataFrame, expected: pl.DataFrame, month: str
) -> pl.DataFrame:
    """One row per expected hour with its status; degraded hours are detected here."""
    import polars as pl

    per_hour = facts.group_by("hour_key").agg(
        pl.len().cast(pl.Int32).alias("rows_loaded"),
        pl.col("geografia_id").n_unique().cast(pl.Int32).alias("comunas"),
        pl.col("clientes_afectados").sum().alias("customers"),
    )
    status = (
        pl.when(pl.col("outcome").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("outcome") == "ok")
        .then(pl.lit("ok"))
        .when(pl.col("outcome") == "empty")
        .then(pl.lit("empty"))
        .when(pl.col("outcome").is_in(QUARANTINED))
        .then(pl.col("outcome"))
        .otherwise(pl.lit("failed"))
    )
    out = (
        expected.join(answers.hours, on="hour_key", how="left")
        .join(answers.eras, on="hour_key", how="left")
        .join(per_hour, on="hour_key", how="left")
        .with_columns(
            status.alias("status"),
            pl.col("rows_raw").fill_null(0),
            pl.col("rows_loaded").fill_null(0),
            pl.col("comunas").fill_null(0),
            pl.col("customers").fill_null(0),
            pl.col("versions").fill_null(0),
            pl.col("attempts").fill_null(0),
        )
    )
    # Degraded: a valid hour whose comunas collapse far below both valid neighbours.
    ok = out.filter(pl.col("status") == "ok").select("hour_key", "comunas")
    ok = ok.with_columns(
        pl.col("comunas").shift(1).alias("_prev"), pl.col("comunas").shift(-1).alias("_next")
    ).with_columns(
        pl.min_horizontal(pl.coalesce("_prev", "_next"), pl.coalesce("_next", "_prev")).alias(
            "_ref"
        )
    )
    degraded = ok.filter(
        (pl.col("_ref") >= DEGRADED_MIN_NEIGHBOUR)
        & (pl.col("comunas") < DEGRADED_RATIO * pl.col("_ref"))
    ).select("hour_key", pl.lit(True).alias("_degraded"))
    out = out.join(degraded, on="hour_key", how="left").with_columns(
        pl.when(pl.col("_degraded").fill_null(False))
        .then(pl.lit("degraded"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.lit(month).alias("month"),
        pl.col("hora_local").dt.strftime("%Y%m%d").cast(pl.Int32).alias("tiempo_id"),
        pl.lit(answers.server_time, pl.Datetime("us")).alias("server_time"),
        pl.when(pl.col("status").is_in(["ok", "empty"]))
        .then(None)
        .otherwise(clean_text(pl.col("error")))
        .alias("error"),
    )
    return out.select(
        "hour_key",
        "month",
        "hora_local",
        "hora_utc",
        "tiempo_id",
        "status",
        "era",
        "fingerprint",
        "rows_raw",
        "rows_loaded",
        "comunas",
        "customers",
        "versions",
        "attempts",
        "fetched_at",
        "server_time",
        "error",
    ).sort("hour_key")


def quarantine(answers: MonthAnswers, ledger_frame: pl.DataFrame, month: str) -> pl.DataFrame:
    """Hours whose stored answers could not be used, with the reason and the bronze file."""
    import polars as pl

    bad = ledger_frame.filter(pl.col("status").is_in(QUARANTINED))
    bad = bad.select("hour_key", "status", "error")
    return bad.join(answers.hours.select("hour_key", "source_file"), on="hour_key").select(
        pl.lit(month).alias("month"),
        "hour_key",
        pl.col("status").alias("reason"),
        "source_file",
        pl.col("error").str.slice(0, 500).alias("detail"),
    )

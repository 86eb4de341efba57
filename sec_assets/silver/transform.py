"""Bronze answers of one month → ledger, observation facts, guardrail counts and quarantine.

Pure Polars (plus DuckDB's md5 for the hash keys); no Dagster, no warehouse. Guardrails, each
counted per month:
- customers missing or not numeric → 0 (``flag_clientes_missing``);
- comuna not resolved → the region's UNKNOWN member, or the global one (``flag_geo_unknown``);
- company named but not resolved → ``unknown`` (``flag_empresa_unknown``);
- legacy start date unparsable → the server time when it precedes the hour, else the hour
  (``flag_fecha_fallback``; a backfill's server time is later than the hour it asks about);
- customers above the region's customers → capped at them (``flag_capped``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import polars as pl

from sec_assets.bronze.hours import month_hours
from sec_assets.silver.bronze_reader import MonthAnswers
from sec_assets.silver.names import resolve_empresa, resolve_geografia

GUARDRAILS = ("clientes_missing", "geo_unknown", "empresa_unknown", "fecha_fallback", "capped")
DEGRADED_RATIO = 0.25  # comunas below this share of both neighbours' …
DEGRADED_MIN_NEIGHBOUR = 20  # … when the neighbours list at least this many comunas
_ACTUALIZADO = r"(?i)(\d+)\s*d[ií]as?\s*(\d+)\s*horas?\s*(\d+)\s*minutos?"


@dataclass(frozen=True)
class SilverMonth:
    ledger: pl.DataFrame
    facts: pl.DataFrame
    guardrails: pl.DataFrame
    quarantine: pl.DataFrame


def md5_key(frame: pl.DataFrame, columns: list[str], name: str) -> pl.DataFrame:
    """Add ``name`` = md5 of the columns joined by '|' (nulls as ''), computed by DuckDB."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.Utf8).alias(name))
    parts = [pl.col(c).cast(pl.Utf8).fill_null("") for c in columns]
    keyed = frame.select(pl.concat_str(parts, separator="|").alias("k"))
    con = duckdb.connect()
    try:
        con.register("keyed", keyed.to_arrow())
        digests = con.sql("SELECT md5(k) AS h FROM keyed").pl()["h"]
    finally:
        con.close()
    return frame.with_columns(digests.alias(name))


def expected_hours(month_start: date, hours_per_day: int, now: datetime) -> pl.DataFrame:
    hours = [h for h in month_hours(month_start, hours_per_day) if h.start_utc <= now]
    return pl.DataFrame(
        {
            "hour_key": [h.key for h in hours],
            "hora_local": [datetime(h.day.year, h.day.month, h.day.day, h.hour) for h in hours],
            "hora_utc": [h.start_utc for h in hours],
        },
        schema={
            "hour_key": pl.Utf8,
            "hora_local": pl.Datetime("us"),
            "hora_utc": pl.Datetime("us", "UTC"),
        },
    )


def observations(
    answers: MonthAnswers, region_customers: pl.DataFrame, month: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Facts at observation grain and the guardrail counts. ``region_customers``: cut_region,
    clientes."""
    raw = answers.rows.filter(pl.col("era").is_in(["current", "legacy"]))
    hora_local = (pl.col("hour_key") + ":00").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M")
    server = answers.server_time
    raw = raw.with_columns(hora_local.alias("hora_local"))
    # Names repeat heavily (a few hundred distinct per month): resolve each distinct one once.
    names = ["NOMBRE_REGION", "NOMBRE_COMUNA"]
    geo = resolve_geografia(raw.select(names).unique(), *names)
    emp = resolve_empresa(raw.select("NOMBRE_EMPRESA").unique(), "NOMBRE_EMPRESA")
    raw = raw.join(geo, on=names, how="left", nulls_equal=True).join(
        emp, on="NOMBRE_EMPRESA", how="left", nulls_equal=True
    )
    clientes = pl.col("CLIENTES_AFECTADOS").str.strip_chars().cast(pl.Float64, strict=False)
    fecha = (
        pl.col("FECHA_INT_STR")
        .str.strip_chars()
        .str.strptime(pl.Datetime("us"), "%d/%m/%Y", strict=False)
    )
    fallback = (
        pl.when(pl.lit(server, pl.Datetime("us")) <= pl.col("hora_local"))
        .then(pl.lit(server, pl.Datetime("us")))
        .otherwise(pl.col("hora_local"))
        if server is not None
        else pl.col("hora_local")
    )
    act = pl.col("ACTUALIZADO_HACE").str.extract_groups(_ACTUALIZADO)
    legacy = pl.col("era") == "legacy"
    rows = (
        raw.with_columns(
            clientes.alias("_c"),
            pl.when(legacy).then(fecha).alias("_f"),
            (
                act.struct.field("1").cast(pl.Int32) * 1440
                + act.struct.field("2").cast(pl.Int32) * 60
                + act.struct.field("3").cast(pl.Int32)
            ).alias("actualizado_hace_min"),
        )
        .with_columns(
            (
                pl.col("_c").is_null() | (pl.col("_c") < 0) | (pl.col("_c") != pl.col("_c").floor())
            ).alias("flag_clientes_missing"),
            (legacy & pl.col("_f").is_null()).alias("flag_fecha_fallback"),
            (~pl.col("geo_resolved")).alias("flag_geo_unknown"),
            (~pl.col("empresa_resolved")).alias("flag_empresa_unknown"),
        )
        .with_columns(
            pl.when(pl.col("flag_clientes_missing"))
            .then(0)
            .otherwise(pl.col("_c"))
            .cast(pl.Int64)
            .alias("_c"),
            pl.when(pl.col("flag_fecha_fallback"))
            .then(fallback)
            .otherwise(pl.col("_f"))
            .alias("fecha_inicio"),
        )
    )
    key = ["hour_key", "geografia_id", "empresa_id", "fecha_inicio"]
    facts = (
        rows.group_by(key)
        .agg(
            pl.col("hora_local").first(),
            pl.col("cut_region").first(),
            pl.col("_c").sum().alias("clientes_afectados"),
            pl.len().cast(pl.Int32).alias("fragmentos"),
            pl.col("actualizado_hace_min").min(),
            pl.col("era").first(),
            pl.col("NOMBRE_REGION").first().alias("nombre_region_raw"),
            pl.col("NOMBRE_COMUNA").first().alias("nombre_comuna_raw"),
            pl.col("NOMBRE_EMPRESA").first().alias("nombre_empresa_raw"),
            *(pl.col(f"flag_{g}").any() for g in GUARDRAILS if g != "capped"),
        )
        .join(
            region_customers.select("cut_region", pl.col("clientes").alias("_cap")),
            on="cut_region",
            how="left",
        )
        .with_columns(
            (pl.col("_cap").is_not_null() & (pl.col("clientes_afectados") > pl.col("_cap"))).alias(
                "flag_capped"
            )
        )
        .with_columns(
            pl.when(pl.col("flag_capped"))
            .then(pl.col("_cap"))
            .otherwise(pl.col("clientes_afectados"))
            .alias("clientes_afectados"),
            pl.lit(month).alias("month"),
            pl.col("hora_local").dt.strftime("%Y%m%d").cast(pl.Int32).alias("tiempo_id"),
        )
    )
    facts = md5_key(facts, key, "hash_id").sort(
        "hour_key", "geografia_id", "empresa_id", "fecha_inicio"
    )
    guardrails = pl.DataFrame(
        {
            "month": [month] * len(GUARDRAILS),
            "guardrail": list(GUARDRAILS),
            "rows": [
                int(rows[f"flag_{g}"].sum()) if g != "capped" else int(facts["flag_capped"].sum())
                for g in GUARDRAILS
            ],
            "customers": [
                int(rows.filter(pl.col(f"flag_{g}"))["_c"].sum())
                if g != "capped"
                else int(facts.filter(pl.col("flag_capped"))["clientes_afectados"].sum())
                for g in GUARDRAILS
            ],
        },
        schema={"month": pl.Utf8, "guardrail": pl.Utf8, "rows": pl.Int64, "customers": pl.Int64},
    )
    columns = [
        "hash_id",
        "hour_key",
        "month",
        "hora_local",
        "tiempo_id",
        "geografia_id",
        "empresa_id",
        "fecha_inicio",
        "clientes_afectados",
        "fragmentos",
        "actualizado_hace_min",
        "era",
        "nombre_region_raw",
        "nombre_comuna_raw",
        "nombre_empresa_raw",
        *(f"flag_{g}" for g in GUARDRAILS),
    ]
    return facts.select(columns), guardrails


def ledger(
    answers: MonthAnswers, facts: pl.DataFrame, expected: pl.DataFrame, month: str
) -> pl.DataFrame:
    """One row per expected hour with its status; degraded hours are detected here."""
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
        .when(pl.col("outcome") == "schema_error")
        .then(pl.lit("schema_error"))
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
        .otherwise(pl.col("error"))
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
    bad = ledger_frame.filter(pl.col("status") == "schema_error").select("hour_key", "error")
    return bad.join(answers.hours.select("hour_key", "source_file"), on="hour_key").select(
        pl.lit(month).alias("month"),
        "hour_key",
        pl.lit("schema_error").alias("reason"),
        "source_file",
        pl.col("error").str.slice(0, 500).alias("detail"),
    )


def build_month(
    answers: MonthAnswers,
    region_customers: pl.DataFrame,
    *,
    month_start: date,
    hours_per_day: int = 24,
    now: datetime | None = None,
) -> SilverMonth:
    month = f"{month_start.year:04d}-{month_start.month:02d}"
    expected = expected_hours(month_start, hours_per_day, now or datetime.now(UTC))
    facts, guardrails = observations(answers, region_customers, month)
    facts = facts.filter(pl.col("hour_key").is_in(expected["hour_key"].implode()))
    led = ledger(answers, facts, expected, month)
    quar = quarantine(answers, led, month)
    guardrails = pl.concat(
        [
            guardrails,
            pl.DataFrame(
                {
                    "month": [month],
                    "guardrail": ["quarantined"],
                    "rows": [quar.height],
                    "customers": [0],
                },
                schema=guardrails.schema,
            ),
        ]
    )
    return SilverMonth(led, facts, guardrails, quar)

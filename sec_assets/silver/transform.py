"""Bronze answers of one month → ledger, observation facts, guardrail counts, quarantine and
the facts folded to a row per day and comuna (:func:`daily_customers`).

Pure Polars (the hash keys are :mod:`sec_assets.warehouse.hashing`'s); no Dagster, no engine.
What the service gets wrong is repaired and counted, never dropped: the guardrails are
:func:`observations`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sec_assets.month import Month
from sec_assets.silver.bronze_reader import MonthAnswers
from sec_assets.silver.cadence import expected_grid, month_cadence
from sec_assets.silver.caps import stored_caps
from sec_assets.silver.guardrails import (
    ROW_GUARDRAILS,
    cap_region_totals,
    guardrail_counts,
)
from sec_assets.silver.ledger import ledger, quarantine
from sec_assets.silver.names import resolve_empresa, resolve_geografia
from sec_assets.silver.secrets import mask_answers
from sec_assets.silver.text import clean_fields
from sec_assets.warehouse.hashing import md5_key

if TYPE_CHECKING:
    import polars as pl

_ACTUALIZADO = r"(?i)(\d+)\s*d[ií]as?\s*(\d+)\s*horas?\s*(\d+)\s*minutos?"


@dataclass(frozen=True)
class SilverMonth:
    ledger: pl.DataFrame
    facts: pl.DataFrame
    guardrails: pl.DataFrame
    quarantine: pl.DataFrame
    daily: pl.DataFrame  # silver.comuna_daily_customers: daily_customers(facts, ledger)
    caps: pl.DataFrame  # silver.customer_caps: the counts the facts were capped by
    cadence: pl.DataFrame  # silver.month_cadence: how the month was sampled, per source


def daily_customers(facts: pl.DataFrame, ledger_frame: pl.DataFrame) -> pl.DataFrame:
    """Per day and comuna, ``customers_sum``: the facts' customers summed over the day's valid
    hours (ledger status ``ok``), every company together. Gold's daily customer-hours read
    this, not the hourly facts (contract ``comuna_daily_customers``)."""
    import polars as pl

    ok = ledger_frame.filter(pl.col("status") == "ok").select("hour_key")
    return (
        facts.join(ok, on="hour_key", how="semi")
        .group_by("month", pl.col("hora_local").dt.date().alias("dia"), "geografia_id")
        .agg(pl.col("clientes_afectados").sum().cast(pl.Int64).alias("customers_sum"))
        .sort("dia", "geografia_id")
    )


def observations(
    answers: MonthAnswers, region_customers: pl.DataFrame, month: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Facts at observation grain and the guardrail counts. ``region_customers``: cut_region,
    customers.

    Guardrails, each counted per month:
    - customers missing or not numeric → 0 (``flag_clientes_missing``);
    - comuna not resolved → the region's UNKNOWN member, or the global one (``flag_geo_unknown``);
    - company named but not resolved → ``unknown`` (``flag_empresa_unknown``);
    - legacy start date unparsable → the server time when it precedes the hour, else the hour
      (``flag_fecha_fallback``; a backfill's server time is later than the hour it asks about);
    - customers above the region's customers → capped at them (``flag_capped``);
    - an hour whose comunas of a region add up to more than the region's customers → the rows that
      were capped give way first, then the rest, in proportion (``flag_capped``; counted apart as
      ``region_total_capped``). A value the service got wrong never fails a blocking check: the
      check ``customers_within_region_total`` verifies the invariant this guarantees.
    - identical duplicate rows within an hour (every field equal) → summed like fragments, as
      the legacy era's rule is, and counted as ``duplicate_rows`` (the extra copies and their
      customers);
    - a control character (NUL, tab …) in a text field → removed, tab and newline becoming a
      space (``control_chars``; ``silver/text.py``).
    """
    import polars as pl

    raw = answers.rows.filter(pl.col("era").is_in(["current", "legacy"]))
    raw = clean_fields(raw, "flag_control_chars")  # once, before names resolve or load
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
            *(pl.col(f"flag_{g}").any() for g in ROW_GUARDRAILS),
        )
        .join(
            region_customers.select("cut_region", pl.col("customers").alias("_cap")),
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
    facts = cap_region_totals(facts)
    facts = md5_key(facts, key, "hash_id").sort(
        "hour_key", "geografia_id", "empresa_id", "fecha_inicio"
    )
    guardrails = guardrail_counts(rows, facts, month)
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
        *(f"flag_{g}" for g in ROW_GUARDRAILS),
    ]
    # One stored flag for both caps: the row's value was reduced to respect the region's total.
    stored_cap = (pl.col("flag_capped") | pl.col("flag_region_total_capped")).alias("flag_capped")
    return facts.select(*columns, stored_cap), guardrails


def build_month(
    answers: MonthAnswers,
    region_customers: pl.DataFrame,
    *,
    month: Month,
    hours_per_day: int = 24,
    now: datetime | None = None,
) -> SilverMonth:
    import polars as pl

    label = month.label
    # The grid comes from the hours bronze holds; ``hours_per_day`` (the setting) only for
    # what the data cannot tell (silver/cadence.py).
    expected = expected_grid(answers.hours, month, hours_per_day, now or datetime.now(UTC))
    answers, echoed = mask_answers(answers)  # no secret reaches a silver column
    facts, guardrails = observations(answers, region_customers, label)
    facts = facts.filter(pl.col("hour_key").is_in(expected["hour_key"].implode()))
    led = ledger(answers, facts, expected, label)
    quar = quarantine(answers, led, label)
    guardrails = pl.concat(
        [
            guardrails,
            pl.DataFrame(
                {
                    "month": [label, label],
                    "guardrail": ["quarantined", "secret_echoed"],
                    "rows": [quar.height, echoed],
                    "customers": [0, 0],
                },
                schema=guardrails.schema,
            ),
        ]
    )
    return SilverMonth(
        led,
        facts,
        guardrails,
        quar,
        daily_customers(facts, led),
        stored_caps(region_customers, label),
        month_cadence(expected, answers.hours, label),
    )

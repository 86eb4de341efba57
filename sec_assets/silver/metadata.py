"""Materialization metadata of the silver assets: what the asset page and the catalog show.

Numbers stay numbers (the UI plots them across partitions); a readable twin is added where a
raw number is hard to read (bytes, customer-hours, shares). Tables carry
``dagster/table_name`` and ``dagster/column_schema`` so the catalog's Columns section fills in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg

from sec_assets.metadata_table import frame_table
from sec_assets.readable import readable
from sec_assets.silver.cadence import NO_ANSWER
from sec_assets.silver.events import hours_represented
from sec_assets.warehouse.base import Warehouse

if TYPE_CHECKING:
    import polars as pl


def percent(part: float, whole: float) -> dg.MetadataValue:
    return dg.MetadataValue.float(round(100.0 * part / whole, 2) if whole else 0.0)


def _column(info: Any, name: str) -> dg.TableColumn:
    other = [
        f"references silver.{fk.ref_table}({', '.join(fk.ref_columns)})"
        for fk in info.foreign_keys
        if name in fk.columns
    ]
    if name in info.primary_key:
        other.insert(0, f"primary key ({', '.join(info.primary_key)})")
    return dg.TableColumn(
        name,
        info.types.get(name, "unknown"),
        constraints=dg.TableColumnConstraints(
            nullable=name not in info.primary_key,
            unique=info.primary_key == (name,),
            other=other,
        ),
    )


def table_metadata(warehouse: Warehouse, table: str) -> dict[str, Any]:
    """Where the table lives and its columns, as the warehouse's catalog describes them."""
    info = warehouse.tables().get(table)
    out: dict[str, Any] = {
        "dagster/table_name": dg.MetadataValue.text(f"silver.{table}"),
        "warehouse": dg.MetadataValue.text(repr(warehouse)),  # redacted DSN or the file path
    }
    if info is not None:
        schema = dg.TableSchema(columns=[_column(info, c) for c in info.columns])
        out["dagster/column_schema"] = dg.MetadataValue.table_schema(schema)
    return out


def with_names(frame: pl.DataFrame, warehouse: Warehouse) -> pl.DataFrame:
    """``frame`` with the comuna and region names of its ``geografia_id`` next to it."""
    import polars as pl

    names = warehouse.read(
        "SELECT geografia_id, nombre_comuna, nombre_region FROM silver.dim_geografia"
    ).with_columns(pl.col("geografia_id").cast(pl.Int64))
    keyed = frame.with_columns(pl.col("geografia_id").cast(pl.Int64))
    out = keyed.join(names, on="geografia_id", how="left")
    first = ["nombre_comuna", "nombre_region"]
    return out.select(*first, *(c for c in out.columns if c not in first))


def ledger_metadata(ledger: pl.DataFrame) -> dict[str, Any]:
    import polars as pl

    counts = dict(ledger.group_by("status").len().iter_rows())
    usable = sum(counts.get(s, 0) for s in ("ok", "empty", "degraded"))
    peak = ledger.sort("customers", descending=True).head(1)
    return {
        "peak_hour": dg.MetadataValue.text(peak["hour_key"].item() if peak.height else "none"),
        "peak_hour_customers": dg.MetadataValue.int(
            int(peak["customers"].item()) if peak.height else 0
        ),
        "dagster/row_count": dg.MetadataValue.int(ledger.height),
        "coverage_percent": percent(usable, ledger.height),
        **{
            f"hours_{s}": dg.MetadataValue.int(counts.get(s, 0))
            for s in ("ok", "empty", "degraded", "failed", "schema_error", "wrong_date", "missing")
        },
        "revisions_seen": dg.MetadataValue.int(int((ledger["versions"] - 1).clip(0).sum())),
        "not_ok_hours": dg.MetadataValue.json(
            ledger.filter(pl.col("status") != "ok").select("hour_key", "status").rows()[:100]
        ),
    }


def cadence_metadata(cadence: pl.DataFrame) -> dict[str, Any]:
    """How the month was sampled (silver.month_cadence): per source, samples a day and days."""
    import polars as pl

    answered = cadence.filter(pl.col("source") != NO_ANSWER).sort("hours_per_day", "source")
    parts = [
        f"{r['hours_per_day']}/day {r['source']} ({r['days']} d)"
        for r in answered.iter_rows(named=True)
    ]
    out = {
        "cadence": dg.MetadataValue.text(", ".join(parts) or "no answered hour"),
        "cadence_by_source": frame_table(cadence),
    }
    if answered.height:  # the sparsest, when the month mixes cadences
        out["samples_per_day"] = dg.MetadataValue.int(min(answered["hours_per_day"].to_list()))
    return out


def facts_metadata(silver: Any, raw_rows: int, wh: Any) -> dict[str, Any]:
    facts = silver.facts
    guard = dict(silver.guardrails.select("guardrail", "rows").iter_rows())
    # Each observation stands for the hours until the next expected hour (docs/cadence.md).
    weights = silver.ledger.select("hour_key", "hora_local").join(
        hours_represented(silver.ledger).select("hora_local", "_w"), on="hora_local"
    )
    weighted = facts.join(weights.select("hour_key", "_w"), on="hour_key", how="left")
    customer_hours = int((weighted["clientes_afectados"] * weighted["_w"].fill_null(1.0)).sum())
    top = facts.sort("clientes_afectados", descending=True).head(8)
    return {
        "dagster/row_count": dg.MetadataValue.int(facts.height),
        "raw_rows": dg.MetadataValue.int(raw_rows),
        "customer_hours": dg.MetadataValue.int(customer_hours),
        "customer_hours_readable": dg.MetadataValue.text(readable(customer_hours)),
        "comunas": dg.MetadataValue.int(facts["geografia_id"].n_unique()),
        **{f"guardrail_{k}": dg.MetadataValue.int(v) for k, v in guard.items()},
        **caps_metadata(silver.caps),
        "quarantined": dg.MetadataValue.json(
            silver.quarantine.select("hour_key", "detail").rows()[:20]
        ),
        "preview": frame_table(
            with_names(
                top.select(
                    "hour_key",
                    "geografia_id",
                    "empresa_id",
                    "clientes_afectados",
                    "nombre_comuna_raw",
                ),
                wh,
            )
        ),
    }


def caps_metadata(caps: pl.DataFrame) -> dict[str, Any]:
    """Which customer counts capped each month (``silver.customer_caps``): per month, the
    counts' as-of month and source, and the months capped by counts not their own."""
    import polars as pl

    per_month = (
        caps.group_by("month")
        .agg(pl.col("as_of").min(), pl.col("source").unique().sort().str.join("+"))
        .sort("month")
    )
    borrowed = per_month.filter(pl.col("as_of") != pl.col("month"))["month"].to_list()
    return {
        "customers_as_of": dg.MetadataValue.json(
            {m: {"as_of": a, "source": s} for m, a, s in per_month.iter_rows()}
        ),
        "months_capped_by_other_counts": dg.MetadataValue.json(borrowed),
    }

"""Shaping payloads the way the dashboard reads them: region names as it spells them
(:func:`sec_assets.gold.contract.dashboard_name`) and readable Spanish labels for the data
quality categories (the seed's own labels where it had one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.gold.contract import dashboard_name

if TYPE_CHECKING:
    import polars as pl

# guardrail_counts.guardrail and the ledger's hour statuses → the label eda_quality_stats shows.
QUALITY_LABELS: dict[str, str] = {
    "clientes_missing": "Afectados sin dato (imputado 0)",
    "geo_unknown": "Geografía Desconocida",
    "empresa_unknown": "Empresa Desconocida",
    "fecha_fallback": "Fecha de inicio imputada",
    "capped": "Afectados sobre el total regional (acotado)",
    "region_total_capped": "Suma regional sobre el total de clientes (reducida)",
    "duplicate_rows": "Filas duplicadas (sumadas)",
    "control_chars": "Caracteres de control quitados",
    "quarantined": "Respuestas en cuarentena (horas)",
    "secret_echoed": "Filas con credenciales devueltas por un intermediario (enmascaradas)",
    "hours_failed": "Horas sin respuesta válida",
    "hours_empty": "Horas con respuesta vacía",
    "hours_degraded": "Horas degradadas (comunas colapsadas)",
    "hours_schema_error": "Horas con formato desconocido",
    "hours_wrong_date": "Horas con respuesta de otra fecha",
    "hours_missing": "Horas no consultadas",
}


def dashboard_regions(frame: pl.DataFrame, column: str = "nombre_region") -> pl.DataFrame:
    """``column`` spelled as the dashboard filters on it ("Coquimbo" → "COQUIMBO")."""
    import polars as pl

    names = frame.get_column(column).unique().drop_nulls().to_list()
    mapping = {n: dashboard_name(n) for n in names}
    return frame.with_columns(pl.col(column).replace_strict(mapping, return_dtype=pl.String))


def quality_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """``category`` keys → readable labels; an unknown key is an error, not a raw key shown."""
    import polars as pl

    unknown = set(frame["category"].to_list()) - set(QUALITY_LABELS)
    if unknown:
        raise ValueError(f"eda_quality_stats: no label for {sorted(unknown)}")
    return frame.with_columns(
        pl.col("category").replace_strict(QUALITY_LABELS, return_dtype=pl.String)
    )

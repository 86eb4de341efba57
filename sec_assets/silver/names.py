"""Name normalization and resolution against the master data, vectorized in Polars.

Normal form: NFKD, combining marks dropped (á → a, ñ → n), lower case, apostrophes and
backticks dropped, punctuation to spaces, a leading "region de/del" dropped for regions,
whitespace collapsed. A region resolves through its official, long, SEC and alias names; a
comuna through its official and SEC names and the aliases, within its region first and
nationally when the region is unknown (only where the name is unique nationally).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sec_assets.masterdata import seed

if TYPE_CHECKING:
    import polars as pl

UNKNOWN_GEOGRAFIA = 0
UNKNOWN_EMPRESA = "unknown"
NO_EMPRESA = "no_informada"  # the payload era does not report companies


def normalize(expr: pl.Expr, *, region: bool = False) -> pl.Expr:
    out = (
        expr.fill_null("")
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"[`'´’‘]", "")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )
    if region:
        out = out.str.replace(r"^region (de la |del |de )?", "").str.strip_chars()
    return out


def _norm_col(frame: pl.DataFrame, col: str, *, region: bool = False) -> pl.DataFrame:
    import polars as pl

    return frame.with_columns(normalize(pl.col(col), region=region).alias("norm"))


@cache
def region_lookup() -> pl.DataFrame:
    """norm → cut_region, unique."""
    import polars as pl

    regions = seed("regions")
    aliases = seed("aliases").filter(pl.col("kind") == "region")
    names = pl.concat(
        [
            regions.select(pl.col(c).alias("name"), "cut_region")
            for c in ("nombre_region", "nombre_region_largo", "sec_name")
        ]
        + [
            aliases.select(
                pl.col("alias").alias("name"), pl.col("target").cast(pl.Int32).alias("cut_region")
            )
        ]
    )
    return _norm_col(names, "name", region=True).select("norm", "cut_region").unique()


@cache
def comuna_lookup() -> pl.DataFrame:
    """(norm, cut_region) → cut_comuna, unique per region."""
    import polars as pl

    comunas = seed("comunas")
    aliases = (
        seed("aliases")
        .filter(pl.col("kind") == "comuna")
        .join(comunas.select("cut_comuna", "cut_region"), left_on="target", right_on="cut_comuna")
        .select(pl.col("alias").alias("name"), pl.col("target").alias("cut_comuna"), "cut_region")
    )
    names = pl.concat(
        [
            comunas.select(pl.col(c).alias("name"), "cut_comuna", "cut_region")
            for c in ("nombre_comuna", "sec_name")
        ]
        + [aliases]
    )
    return _norm_col(names, "name").select("norm", "cut_region", "cut_comuna").unique()


@cache
def empresa_lookup() -> pl.DataFrame:
    import polars as pl

    empresas = seed("empresas")
    aliases = seed("aliases").filter(pl.col("kind") == "empresa")
    names = pl.concat(
        [
            empresas.select(pl.col(c).alias("name"), "empresa_id")
            for c in ("nombre_empresa", "nombre_oficial", "empresa_id")
        ]
        + [aliases.select(pl.col("alias").alias("name"), pl.col("target").alias("empresa_id"))]
    )
    return _norm_col(names, "name").select("norm", "empresa_id").unique(subset="norm", keep="first")


def resolve_geografia(frame: pl.DataFrame, region_col: str, comuna_col: str) -> pl.DataFrame:
    """Add ``cut_region`` (nullable), ``geografia_id`` and ``geo_resolved`` to ``frame``.

    Unresolved comunas go to their region's UNKNOWN member, or the global UNKNOWN (0).
    """
    import polars as pl

    regions = region_lookup().rename({"norm": "_rn"})
    comunas = comuna_lookup()
    national = (
        comunas.group_by("norm")
        .agg(
            pl.col("cut_comuna").n_unique().alias("n"),
            pl.col("cut_comuna").first(),
            pl.col("cut_region").first(),
        )
        .filter(pl.col("n") == 1)
        .select(
            pl.col("norm").alias("_cn"),
            pl.col("cut_comuna").alias("_cut_nat"),
            pl.col("cut_region").alias("_reg_nat"),
        )
    )
    out = (
        frame.with_columns(
            normalize(pl.col(region_col), region=True).alias("_rn"),
            normalize(pl.col(comuna_col)).alias("_cn"),
        )
        .join(regions, on="_rn", how="left")
        .join(
            comunas.rename({"norm": "_cn", "cut_comuna": "_cut_reg"}),
            on=["_cn", "cut_region"],
            how="left",
        )
        .join(national, on="_cn", how="left")
        .with_columns(
            pl.when(pl.col("_cut_reg").is_not_null())
            .then(pl.col("_cut_reg"))
            .when(pl.col("cut_region").is_null())
            .then(pl.col("_cut_nat"))
            .alias("_cut"),
        )
        .with_columns(
            pl.coalesce(
                "cut_region", pl.when(pl.col("_cut").is_not_null()).then(pl.col("_reg_nat"))
            ).alias("cut_region"),
        )
        .with_columns(
            pl.col("_cut").is_not_null().alias("geo_resolved"),
            pl.when(pl.col("_cut").is_not_null())
            .then(pl.col("_cut").cast(pl.Int32))
            .when(pl.col("cut_region").is_not_null())
            .then(pl.col("cut_region") * 1000 + 999)
            .otherwise(pl.lit(UNKNOWN_GEOGRAFIA))
            .cast(pl.Int32)
            .alias("geografia_id"),
        )
        .drop("_rn", "_cn", "_cut_reg", "_cut_nat", "_reg_nat", "_cut")
    )
    return out


def resolve_empresa(frame: pl.DataFrame, empresa_col: str | None) -> pl.DataFrame:
    """Add ``empresa_id`` and ``empresa_resolved``; eras without companies get NO_EMPRESA."""
    import polars as pl

    if empresa_col is None or empresa_col not in frame.columns:
        return frame.with_columns(
            pl.lit(NO_EMPRESA).alias("empresa_id"), pl.lit(True).alias("empresa_resolved")
        )
    lookup = empresa_lookup().rename({"norm": "_en", "empresa_id": "_eid"})
    return (
        frame.with_columns(normalize(pl.col(empresa_col)).alias("_en"))
        .join(lookup, on="_en", how="left")
        .with_columns(
            pl.when(pl.col(empresa_col).is_null())
            .then(pl.lit(NO_EMPRESA))
            .otherwise(pl.coalesce("_eid", pl.lit(UNKNOWN_EMPRESA)))
            .alias("empresa_id"),
            (pl.col("_eid").is_not_null() | pl.col(empresa_col).is_null()).alias(
                "empresa_resolved"
            ),
        )
        .drop("_en", "_eid")
    )

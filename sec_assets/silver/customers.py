"""The month's denominators: customers per region from bronze ``sec_customers``, falling back
to the seed's estimate (``source = 'seed'``) for a region the service did not answer, or whose
stored answer breaks today's validation (``validate_customers``: older code stored it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sec_assets.bronze.store import BronzeStore, StoredFile, body_bytes
from sec_assets.masterdata import regions
from sec_assets.sec_client.errors import SecError
from sec_assets.sec_client.validation import validate_customers

if TYPE_CHECKING:
    import polars as pl


def schema() -> dict[str, pl.DataType]:
    """The columns of ``silver.region_customers`` and their dtypes."""
    import polars as pl

    return {
        "month": pl.Utf8(),
        "cut_region": pl.Int32(),
        "customers": pl.Int64(),
        "source": pl.Utf8(),
        "fetched_at": pl.Datetime("us", "UTC"),
    }


def _stored_customers(store: BronzeStore, stored: StoredFile, key: str) -> int | None:
    """The region's customers in a stored answer, by the client's rule; None when it breaks it."""
    try:
        body = body_bytes(store.envelope_of(stored)) or b"[]"
        return validate_customers(body, endpoint="GetClientesRegional", key=key)
    except (SecError, OSError, ValueError, EOFError):
        return None


def region_customers(store: BronzeStore, month: str) -> pl.DataFrame:
    import polars as pl

    answered: list[dict[str, object]] = []
    for key, f in store.latest_good(month).items():
        if not key.startswith("region_") or f.outcome != "ok":
            continue
        customers = _stored_customers(store, f, key)
        if customers is not None:
            answered.append(
                {
                    "cut_region": int(key.removeprefix("region_")),
                    "customers": customers,
                    "fetched_at": f.fetched_at,
                }
            )
    sec = pl.DataFrame(
        answered,
        schema={
            "cut_region": pl.Int32,
            "customers": pl.Int64,
            "fetched_at": schema()["fetched_at"],
        },
    )
    seeds = regions().select("cut_region", pl.col("clientes").alias("_seed"))
    return (
        seeds.join(sec, on="cut_region", how="left")
        .select(
            pl.lit(month).alias("month"),
            "cut_region",
            pl.coalesce("customers", "_seed").alias("customers"),
            pl.when(pl.col("customers").is_null())
            .then(pl.lit("seed"))
            .otherwise(pl.lit("sec"))
            .alias("source"),
            "fetched_at",
        )
        .cast(pl.Schema(schema()))
        .sort("cut_region")
    )

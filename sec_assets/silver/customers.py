"""The month's denominators: customers per region from bronze ``sec_customers``, falling back
to the seed's estimate (``source = 'seed'``) for a region the service did not answer."""

from __future__ import annotations

import json

import polars as pl

from sec_assets.bronze.store import BronzeStore, body_bytes, read_envelope
from sec_assets.masterdata import regions

SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Utf8(),
    "cut_region": pl.Int32(),
    "customers": pl.Int64(),
    "source": pl.Utf8(),
    "fetched_at": pl.Datetime("us", "UTC"),
}


def region_customers(store: BronzeStore, month: str) -> pl.DataFrame:
    answered: list[dict[str, object]] = []
    for key, f in store.latest_good(month).items():
        if not key.startswith("region_") or f.outcome != "ok":
            continue
        data = json.loads(body_bytes(read_envelope(f.path)) or b"[]")
        if data and isinstance(data[0].get("CLIENTES"), int):
            answered.append(
                {
                    "cut_region": int(key.removeprefix("region_")),
                    "customers": data[0]["CLIENTES"],
                    "fetched_at": f.fetched_at,
                }
            )
    sec = pl.DataFrame(
        answered,
        schema={"cut_region": pl.Int32, "customers": pl.Int64, "fetched_at": SCHEMA["fetched_at"]},
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
        .cast(pl.Schema(SCHEMA))
        .sort("cut_region")
    )

"""Collection of the customer denominators (regional and national). No Dagster imports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sec_assets.bronze.store import BronzeStore
from sec_assets.sec_client.client import FetchResult, SecClient
from sec_assets.sec_client.validation import validate_customers

if TYPE_CHECKING:
    import polars as pl


@dataclass
class CustomersReport:
    by_region: dict[int, int] = field(default_factory=dict)  # cut_region → customers
    failed: dict[int, str] = field(default_factory=dict)  # cut_region → why
    national: int | None = None


async def _ask(
    client: SecClient, store: BronzeStore, month: str, endpoint: str, body: dict, key: str
) -> FetchResult:
    result = await client.call(
        endpoint,
        body,
        key=key,
        validate=lambda b: validate_customers(b, endpoint=endpoint, key=key),
    )
    await asyncio.to_thread(lambda: [store.write(month, a) for a in result.attempts])
    return result


async def _region(
    client: SecClient,
    store: BronzeStore,
    month: str,
    cut: int,
    names: list[str],
    report: CustomersReport,
) -> None:
    key = f"region_{cut:02d}"
    for name in names:  # short name first; the long official name if the short one is unknown
        result = await _ask(client, store, month, "GetClientesRegional", {"region": name}, key)
        if result.error is not None:
            report.failed[cut] = str(result.error)
            return
        if result.value is not None:
            report.by_region[cut] = result.value
            report.failed.pop(cut, None)
            return
        report.failed[cut] = f"the service knows none of the names {names}"


async def collect_customers(
    month: str, regions: pl.DataFrame, client: SecClient, store: BronzeStore
) -> CustomersReport:
    report = CustomersReport()
    tasks = [
        _region(
            client, store, month, r["cut_region"], [r["sec_name"], r["nombre_region_largo"]], report
        )
        for r in regions.iter_rows(named=True)
    ]
    national_result = await _ask(client, store, month, "GetClientesNacional", {}, "national")
    await asyncio.gather(*tasks)
    if national_result.ok:
        report.national = national_result.value
    return report

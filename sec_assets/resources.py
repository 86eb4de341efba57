"""The code location's resources, wired once: one storage resource nested in every other.

``local_resources()`` with no argument is what ``definitions.py`` uses (every setting from
``SEC_*`` when a run starts); the demo, ``make check``'s drivers, the benchmarks and the tests
call it with a data folder, a base URL, a DSN or a cadence instead of repeating the wiring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from sec_assets.bronze.resources import BronzeResource
from sec_assets.gold.sync import DashboardSinkResource
from sec_assets.resource_settings import StorageResource
from sec_assets.sec_client.resource import SecClientResource
from sec_assets.warehouse.resource import WarehouseResource


class Resources(TypedDict):
    """The resources by key, as assets name their parameters."""

    storage: StorageResource
    sec_client: SecClientResource
    bronze: BronzeResource
    warehouse: WarehouseResource
    dashboard: DashboardSinkResource


def local_resources(
    data_dir: str | Path | None = None,
    *,
    base_url: str | None = None,
    pg_dsn: str | None = None,
    hours_per_day: int | None = None,
    min_month_coverage: float | None = None,
    **sec_client: Any,
) -> Resources:
    """Every resource, all on the same storage. Arguments left None fall back to ``SEC_*`` when a
    run starts; ``sec_client`` takes the SEC client's other fields (``max_concurrency=8``, …)."""
    storage = StorageResource(data_dir=None if data_dir is None else str(data_dir))
    return {
        "storage": storage,
        "sec_client": SecClientResource(storage=storage, base_url=base_url, **sec_client),
        "bronze": BronzeResource(
            storage=storage, hours_per_day=hours_per_day, min_month_coverage=min_month_coverage
        ),
        "warehouse": WarehouseResource(storage=storage, pg_dsn=pg_dsn),
        "dashboard": DashboardSinkResource(storage=storage),
    }

"""The code location: every asset, check, resource and automation of sec_assets."""

from __future__ import annotations

import dagster as dg

from sec_assets.bronze.assets import sec_customers, sec_snapshots
from sec_assets.bronze.resources import BronzeResource
from sec_assets.sec_client.resource import SecClientResource

defs = dg.Definitions(
    assets=[sec_snapshots, sec_customers],
    resources={
        # Unset fields are read from SEC_* when a run starts, not at import time.
        "sec_client": SecClientResource(),
        "bronze": BronzeResource(),
    },
)

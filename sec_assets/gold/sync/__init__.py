"""The sync bridge: gold payloads into Supabase ``dashboard_stats`` (id, data, updated_at), or
into ``$SEC_DATA_DIR/gold/dashboard_stats/<id>.json`` when Supabase is not configured.

Pure parts (envelope, file writer, retry policy, Supabase wrapper, publisher) are free of
Dagster; ``resource.py`` wires them to settings.
"""

from sec_assets.gold.sync.errors import (
    DashboardConfigError,
    DashboardHttpError,
    DashboardPublishError,
    DashboardSinkError,
    DashboardTransportError,
)
from sec_assets.gold.sync.report import PublishReport
from sec_assets.gold.sync.resource import DashboardSinkResource

__all__ = [
    "DashboardConfigError",
    "DashboardHttpError",
    "DashboardPublishError",
    "DashboardSinkError",
    "DashboardSinkResource",
    "DashboardTransportError",
    "PublishReport",
]

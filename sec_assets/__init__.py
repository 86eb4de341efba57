"""sec_assets: the Dagster code location of the SEC outage data platform."""

from sec_assets.process_gc import freeze_loaded

freeze_loaded()  # what was imported before this package (Dagster): out of every collection

"""Every silver asset, in one list: the code location loads these, and gold's lineage reads
the tables each one declares it writes (:mod:`sec_assets.silver.writes`)."""

import dagster as dg

from sec_assets.silver.assets import (
    dim_empresa,
    dim_geografia,
    dim_tiempo,
    fact_eventos,
    region_customers,
    silver_observations,
)
from sec_assets.silver.national import national_hourly
from sec_assets.silver.seia_assets import seia_projects

SILVER_ASSETS: tuple[dg.AssetsDefinition, ...] = (
    dim_geografia,
    dim_empresa,
    dim_tiempo,
    region_customers,
    silver_observations,
    fact_eventos,
    national_hourly,
    seia_projects,
)

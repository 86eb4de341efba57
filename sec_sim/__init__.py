"""A local stand-in for the SEC "Interrupciones en línea" service (no Dagster imports).

Quick use::

    from sec_sim import FaultRule, SimConfig, run_simulator, truth_events

    with run_simulator(SimConfig(seed=42, era="legacy")) as sim:
        sim.set_faults([FaultRule(kind="http_503", times=2)])
        ...  # point the client at sim.base_url
    events = truth_events("2024-08", seed=42)
"""

from sec_assets.sec_client.validation import CURRENT_FIELDS, LEGACY_FIELDS
from sec_sim.config import DEFAULT_CUTOVER, DEFAULT_PREFIX, SimConfig
from sec_sim.faults import FaultKind, FaultRule
from sec_sim.master import MasterData, load_master
from sec_sim.requestlog import LogEntry
from sec_sim.runner import SimulatorHandle, run_simulator, start_simulator
from sec_sim.service import SimService
from sec_sim.truth import month_table, truth_events, truth_hourly

__all__ = [
    "CURRENT_FIELDS",
    "DEFAULT_CUTOVER",
    "DEFAULT_PREFIX",
    "LEGACY_FIELDS",
    "FaultKind",
    "FaultRule",
    "LogEntry",
    "MasterData",
    "SimConfig",
    "SimService",
    "SimulatorHandle",
    "load_master",
    "month_table",
    "run_simulator",
    "start_simulator",
    "truth_events",
    "truth_hourly",
]

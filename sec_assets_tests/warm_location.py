"""A small code location for the warm run launcher's tests: a month of the platform's partitions
that records which process ran it, and one that waits (to be terminated or killed)."""

import os
import time
from pathlib import Path

import dagster as dg

from sec_assets.partitions import monthly_partitions


def _marks() -> Path:
    return Path(os.environ["WARM_TEST_MARKS"])


@dg.asset(partitions_def=monthly_partitions)
def month_pid(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The process that ran the month, for the tests to find."""
    mark = _marks() / f"{context.run.run_id}.pid"
    mark.write_text(str(os.getpid()))
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


@dg.asset
def waiting(context: dg.AssetExecutionContext) -> None:
    """Waits until terminated, killed, or ten minutes have passed."""
    (_marks() / f"{context.run.run_id}.started").write_text(str(os.getpid()))
    for _ in range(6000):
        time.sleep(0.1)


defs = dg.Definitions(assets=[month_pid, waiting], executor=dg.in_process_executor)

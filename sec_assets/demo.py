"""``make demo`` / ``make check``: the main job end to end against the local SEC simulator.

Starts the simulator on loopback, materializes bronze for one storm month (2024-08, the month
of the national windstorm) into the Dagster instance at ``$DAGSTER_HOME`` and the data folder
at ``$SEC_DATA_DIR``, then prints what was stored and where. ``--check`` uses a throwaway
instance and data folder and exits non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg

from sec_assets.bronze.assets import sec_customers, sec_snapshots
from sec_assets.bronze.resources import BronzeResource
from sec_assets.sec_client.resource import SecClientResource
from sec_assets.simulator import SimConfig, run_simulator

DEMO_PARTITION = "2024-08-01"


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    mats = result.asset_materializations_for_node(asset)
    return {k: v.value for k, v in mats[-1].metadata.items()} if mats else {}


def run(partition: str, instance: dg.DagsterInstance, data_dir: Path) -> int:
    with run_simulator(SimConfig(seed=42)) as sim:
        print(f"SEC simulator answering at {sim.base_url}")
        resources = {
            # The simulator is local: politeness limits can be generous.
            "sec_client": SecClientResource(
                base_url=sim.base_url,
                data_dir=str(data_dir),
                max_concurrency=8,
                requests_per_second=500,
                backoff_initial_s=0.05,
                backoff_max_s=0.5,
            ),
            "bronze": BronzeResource(data_dir=str(data_dir)),
        }
        result = dg.materialize(
            [sec_snapshots, sec_customers],
            partition_key=partition,
            resources=resources,
            instance=instance,
            raise_on_error=False,
        )
    snap = _metadata(result, "sec_snapshots")
    cust = _metadata(result, "sec_customers")
    print()
    print(f"Month {partition[:7]} — {'OK' if result.success else 'FAILED'} (run {result.run_id})")
    if snap:
        print(
            f"  hours covered   {snap['hours_covered']}/{snap['hours_expected']}"
            f"  (coverage {snap['coverage']:.1%}, failed {snap['hours_failed']})"
        )
        print(f"  rows stored     {snap['rows']:,}  ({snap['customers']:,} customer-hours)")
        print(f"  fetch           {snap['duration_s']:.1f} s, {snap['requests_per_second']} req/s")
        print(f"  bytes on disk   {snap['bytes_on_disk']:,}")
        print(f"  bronze files    {snap['path']}")
    if cust:
        print(
            f"  customers       {cust['customers_national']:,} nationally "
            f"({cust['regions_answered']} regions)"
        )
    print(f"  data folder     {data_dir}")
    print(f"  Dagster home    {instance.root_directory}  (see it with: make ui)")
    for event in result.all_events:
        if event.is_failure:
            print(f"  ! {event.message}")
    return 0 if result.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partition", default=DEMO_PARTITION, help="month, e.g. 2024-08-01")
    parser.add_argument(
        "--check", action="store_true", help="throwaway instance, exit 1 on failure"
    )
    args = parser.parse_args(argv)
    if args.check:
        with (
            tempfile.TemporaryDirectory(prefix="sec_check_") as tmp,
            dg.instance_for_test(temp_dir=tmp) as instance,
        ):
            return run(args.partition, instance, Path(tmp) / "data")
    data_dir = Path(os.environ.get("SEC_DATA_DIR", "./data")).resolve()
    return run(args.partition, dg.DagsterInstance.get(), data_dir)


if __name__ == "__main__":
    sys.exit(main())

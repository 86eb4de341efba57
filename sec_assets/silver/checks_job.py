"""``silver_checks``: a job of the silver checks alone, and the verb that runs it.

A run tagged with a month (``dagster/partition``) checks the month's stored rows, a run without
one checks every stored month (``silver/checks_alone.py``). It is in the code location, so the
UI's Launchpad, ``dagster job execute -j silver_checks`` and ``python -m sec_assets check`` all
run it, and its results land in the instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from sec_assets.silver.checks import CHECKED_ASSETS, CHECKS

silver_checks = dg.define_asset_job(
    name="silver_checks",
    selection=dg.AssetSelection.checks_for_assets(*CHECKED_ASSETS),
    description="Run the silver checks alone on stored months (nothing is loaded): after a "
    "rule change, or in CI.",
)


def run_checks(
    month: str | None,
    names: list[str] | None = None,
    *,
    instance: dg.DagsterInstance,
    resources: Mapping[str, object] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the silver checks (``names``, else all) alone on ``month`` (``YYYY-MM``; every
    stored month when None) in this process, recorded in ``instance``."""
    from sec_assets.definitions import defs
    from sec_assets.month import Month

    unknown = sorted(set(names or []) - {c.name for c in CHECKS})
    if unknown:
        raise ValueError(f"unknown silver check(s) {unknown}; known: {[c.name for c in CHECKS]}")
    keys = [
        dg.AssetCheckKey(dg.AssetKey(c.asset), c.name)
        for c in CHECKS
        if names is None or c.name in names
    ]
    job = dg.define_asset_job("silver_checks", selection=dg.AssetSelection.checks(*keys))
    resolved = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources={**(defs.resources or {}), **(resources or {})},
    ).resolve_job_def("silver_checks")
    # The partition as a run tag: Dagster 1.13 validates ``partition_key=`` against the
    # selected assets, and a run of checks alone selects none.
    tags = {"dagster/partition": Month.parse(month).key} if month else None
    return resolved.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def verdict_table(evaluations: Sequence[dg.AssetCheckEvaluation]) -> str:
    """One line per evaluation: month, check, asset, severity, verdict, failing rows."""
    rows = []
    for e in sorted(evaluations, key=lambda e: (e.partition or "", e.check_name)):
        failing = e.metadata.get("failing_rows")
        rows.append(
            f"{e.partition or '':7}  {e.check_name:<34} {e.asset_key.to_user_string():<20} "
            f"{e.severity.value:<5} {'pass' if e.passed else 'FAIL'}  "
            f"{failing.value if failing else ''}"
        )
    return "\n".join(rows)

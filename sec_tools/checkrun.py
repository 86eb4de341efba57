"""``make check``: materialize a fixed month bronze → gold from the simulator on a fresh instance
and warehouse, run every asset check, print a table of results, exit non-zero on failure.

    python -m sec_tools.checkrun            # every check must pass, again when run alone
    python -m sec_tools.checkrun --faults   # a faulted simulator: the checks that must fail do
    python -m sec_tools.checkrun --hostile  # hostile answers: each counted, nothing else changes

The faulted variant makes two hours a day answer HTTP 500 (bronze accepts the month at a 50%
coverage threshold; silver's coverage check at 95% must then fail and block the episodes) and
two hours degraded (the WARN check must report them).

The plain variant then runs the silver checks alone on the month it built (the ``silver_checks``
job, nothing reloaded): every one must be evaluated again with the same verdict, a pass.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import dagster as dg

from sec_assets.resources import local_resources
from sec_assets.silver.checks import CHECKS
from sec_assets.silver.checks_job import run_checks
from sec_sim import FaultKind, FaultRule, SimConfig, run_simulator
from sec_tools.demo import GOLD, MONTHLY, UNPARTITIONED, run_selection

PARTITION = "2024-08"
# Two hours a day (8% of the month), spread out so that the breaker never opens.
FAILING_HOURS = [f"2024-08-{d:02d}T{h:02d}" for d in range(1, 32) for h in (3, 15)]
FAULTS = [
    FaultRule(kind=FaultKind.HTTP_500, hours=FAILING_HOURS),
    FaultRule(kind=FaultKind.DEGRADED, hours=["2024-08-10T12", "2024-08-11T12"]),
]
MUST_FAIL = {"month_coverage_above_threshold", "no_degraded_or_empty_hours"}
# Get's national series lists the last days only: for 2024-08 no hour has both figures, so the
# cross-check warns that it compared nothing (it never passes on nothing). Expected, and only so.
OUT_OF_GET_WINDOW = "national_series_agrees_with_hourly_sums"


def unmet_as_expected(checks: list[dg.AssetCheckEvaluation]) -> set[str]:
    """The failed checks that are the cross-check warning it had nothing to compare."""
    return {
        c.check_name
        for c in checks
        if c.check_name == OUT_OF_GET_WINDOW
        and not c.passed
        and c.severity == dg.AssetCheckSeverity.WARN
        and (v := c.metadata.get("rows_examined")) is not None
        and v.value == 0
    }


def check_table(results: list[dg.AssetCheckEvaluation]) -> str:
    rows = ["| check | asset | severity | result | failing rows |", "|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r.asset_key.to_user_string(), r.check_name)):
        failing = r.metadata.get("failing_rows")
        rows.append(
            f"| {r.check_name} | {r.asset_key.to_user_string()} | {r.severity.value} | "
            f"{'pass' if r.passed else 'FAIL'} | {failing.value if failing else ''} |"
        )
    return "\n".join(rows)


def silver_verdicts(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    names = {c.name for c in CHECKS}
    return {
        c.check_name: c.passed
        for c in result.get_asset_check_evaluations()
        if c.check_name in names
    }


def rerun_agrees(built: dg.ExecuteInProcessResult, alone: dg.ExecuteInProcessResult) -> bool:
    """The silver checks run alone on the built month: each evaluated, as on the build, passed."""
    first, again = silver_verdicts(built), silver_verdicts(alone)
    ok = alone.success and again == first == {c.name: True for c in CHECKS}
    print(
        f"silver checks run alone on {PARTITION}: {sum(again.values())}/{len(CHECKS)} passed, "
        f"{'the same verdicts as the build' if again == first else 'VERDICTS DIFFER'} → "
        f"{'OK' if ok else 'UNEXPECTED'}"
    )
    return ok


def run(faults: bool) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="sec_check_") as tmp,
        dg.instance_for_test(temp_dir=tmp) as instance,
        run_simulator(SimConfig(seed=42, faults=FAULTS if faults else [])) as sim,
    ):
        data = Path(tmp) / "data"
        resources = local_resources(
            data,
            base_url=sim.base_url,
            min_month_coverage=0.5 if faults else None,
            max_concurrency=8,
            requests_per_second=500,
            max_attempts=2,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
        )
        results = [run_selection(UNPARTITIONED, resources, instance)]
        results.append(run_selection(MONTHLY, resources, instance, PARTITION))
        if not faults:
            results.append(run_selection(GOLD, resources, instance))
            alone = run_checks(PARTITION, instance=instance, resources=resources)
    checks = [c for r in results for c in r.get_asset_check_evaluations()]
    failed = {c.check_name for c in checks if not c.passed} - unmet_as_expected(checks)
    print(check_table(checks))
    print()
    if faults:
        blocked = not any(
            e.asset_key and e.asset_key.to_user_string() == "fact_eventos"
            for r in results
            for e in r.get_asset_materialization_events()
        )
        ok = failed == MUST_FAIL and blocked
        print(
            f"faulted month: failed {sorted(failed)}; expected {sorted(MUST_FAIL)}; "
            f"fact_eventos blocked: {blocked} → {'OK' if ok else 'UNEXPECTED'}"
        )
        return 0 if ok else 1
    again = rerun_agrees(results[1], alone)
    ok = all(r.success for r in results) and not failed and again
    print(
        f"{len(checks) - len(failed)}/{len(checks)} checks passed or warned as expected "
        f"({OUT_OF_GET_WINDOW}: nothing to compare outside Get's window); runs "
        f"{'succeeded' if all(r.success for r in results) else 'FAILED'}"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--faults", action="store_true", help="the faulted-simulator variant")
    parser.add_argument(
        "--hostile", action="store_true", help="a month of hostile answers (checkrun_hostile.py)"
    )
    args = parser.parse_args(argv)
    if args.hostile:
        from sec_tools.checkrun_hostile import run_hostile

        return run_hostile()
    return run(args.faults)


if __name__ == "__main__":
    sys.exit(main())

"""Operator verbs: ``python -m sec_assets <verb>`` (also the ``sec-assets`` command).

``breaker``          the SEC circuit breaker's state, when it half-opens, why it opened;
``reset-breaker``    close it by hand once the cause is fixed (``make reset-breaker``);
``archive-sidecar``  re-derive a bronze archive's ``.sha256`` sidecar from its manifest, after
                     checking every member (the verb a missing or wrong sidecar names);
``bronze-copy``      copy a bronze tree (a folder or ``s3://bucket/prefix``) to another,
                     verifying every checksum, never overwriting (``bronze/copy.py``);
``check``            run the silver checks alone on a stored month (``--month 2024-08``; every
                     stored month without it), ``--check NAME`` for some only: a run of the
                     ``silver_checks`` job in the instance (``DAGSTER_HOME``), seen in the UI;
``codebook``         print the codebook generated from the contracts (``docs/codebook.md``);
``release``          write a versioned research release of the warehouse's checked months
                     (``--out DIR``, ``--months 2024-01..2024-12``; ``docs/release.md``);
                     ``release verify DIR`` re-hashes a bundle against its manifest.
``migrate-partition-keys``  record the monthly materializations and check results an instance
                     (``DAGSTER_HOME``) holds under ``YYYY-MM-01`` keys under the month labels
                     (``YYYY-MM``) the partitions use; idempotent, ``--dry-run`` only says what.

Settings come from the environment (``SEC_STATE_URL``, else ``SEC_DATA_DIR``: where the breaker
state lives; ``SEC_DATA_DIR``: the warehouse unless ``SEC_PG_DSN`` names one, and the releases by
default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _breaker() -> int:
    from sec_assets.sec_client.resource import SecClientResource

    print(SecClientResource().breaker().describe())
    return 0


def _reset_breaker() -> int:
    from sec_assets.sec_client.resource import SecClientResource

    breaker = SecClientResource().breaker()
    print(f"before: {breaker.describe()}")
    breaker.reset()
    print(f"after:  {breaker.describe()} ({breaker.cell.where})")
    return 0


def _archive_sidecar(archives: list[Path]) -> int:
    from sec_assets.bronze.archive import ArchiveError, rederive_sidecar

    failed = 0
    for archive in archives:
        try:
            sidecar, sha = rederive_sidecar(archive)
        except ArchiveError as exc:
            print(f"{archive}: not re-derived: {exc}", file=sys.stderr)
            failed += 1
        else:
            print(f"{sidecar}: {sha} (every member matches the manifest)")
    return 1 if failed else 0


def _bronze_copy(source: str, target: str) -> int:
    from sec_assets.bronze.copy import CopyError, bronze_copy
    from sec_assets.objects import ObjectStoreError

    try:
        report = bronze_copy(source, target, log=lambda line: print(line, file=sys.stderr))
    except (CopyError, ObjectStoreError, OSError) as exc:
        print(f"bronze-copy failed: {exc}", file=sys.stderr)
        return 1
    print(f"{source} -> {target}: {report.line()}")
    return 0


def _check(month: str | None, names: list[str] | None) -> int:
    import dagster as dg

    from sec_assets.silver.checks_job import run_checks, verdict_table

    with dg.DagsterInstance.get() as instance:
        result = run_checks(month, names, instance=instance)
    evaluations = result.get_asset_check_evaluations()
    print(verdict_table(evaluations))
    failed = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    print(f"run {result.run_id}: {len(evaluations)} evaluated, {len(failed)} failed")
    return 0 if result.success and evaluations and not failed else 1


def _codebook() -> int:
    from sec_assets.gold.codebook import markdown

    sys.stdout.write(markdown())
    return 0


def _release(out: Path | None, months: str | None) -> int:
    import time

    from sec_assets.release.bundle import build_release, parse_months
    from sec_assets.settings import load_settings
    from sec_assets.warehouse.connect import connect_warehouse

    settings = load_settings()
    t0 = time.perf_counter()
    wh = connect_warehouse(settings)
    wh.keep_open(idle_s=settings.warehouse_idle_s)  # one connection for every read, as a run
    try:
        done = build_release(wh, out, settings.data_dir, parse_months(months) if months else None)
    finally:
        wh.release_kept()
    content = done.manifest["content"]
    included = [m["month"] for m in content["months"] if m["included"]]
    print(f"release {done.version} at {done.path}")
    print(
        f"{len(done.files)} files, {done.bytes:,} bytes, {len(included)} of "
        f"{len(content['months'])} months included, {time.perf_counter() - t0:.1f} s"
    )
    for m in content["months"]:
        if not m["included"]:
            print(f"  {m['month']} left out: {m['reason']}")
    return 0


def _verify(root: Path) -> int:
    from sec_assets.release.manifest import verify

    found = verify(root)
    print(found.report())
    return 0 if found.ok else 1


def _migrate_partition_keys(dry_run: bool) -> int:
    import dagster as dg

    from sec_assets.definitions import defs
    from sec_assets.legacy_keys import migrate_partition_keys

    with dg.DagsterInstance.get() as instance:
        print(migrate_partition_keys(instance, defs, dry_run=dry_run).describe(dry_run=dry_run))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sec_assets", description=(__doc__ or "").split("\n")[0]
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("breaker", help="show the SEC circuit breaker's state")
    verbs.add_parser("reset-breaker", help="close the SEC circuit breaker by hand")
    side = verbs.add_parser(
        "archive-sidecar", help="re-derive a bronze archive's .sha256 sidecar from its manifest"
    )
    side.add_argument("archive", nargs="+", type=Path, help="month=YYYY-MM[.gN].tar.gz files")
    copy = verbs.add_parser(
        "bronze-copy", help="copy bronze to another folder or bucket, verifying every checksum"
    )
    copy.add_argument("source", help="a bronze folder (…/bronze) or s3://bucket/prefix")
    copy.add_argument("target", help="a bronze folder or s3://bucket/prefix")
    check = verbs.add_parser("check", help="run the silver checks alone on stored months")
    check.add_argument("--month", help="YYYY-MM (default: every stored month)")
    check.add_argument("--check", action="append", dest="names", help="a check's name")
    verbs.add_parser("codebook", help="print the codebook (docs/codebook.md) from the contracts")
    release = verbs.add_parser("release", help="write a versioned research release")
    release.add_argument("--out", type=Path, help="the bundle's folder (default: by version)")
    release.add_argument("--months", help="YYYY-MM..YYYY-MM (default: every loaded month)")
    after = release.add_subparsers(dest="release_verb")
    check_bundle = after.add_parser("verify", help="re-hash a bundle against its manifest")
    check_bundle.add_argument("bundle", type=Path, help="the bundle's folder")
    migrate = verbs.add_parser(
        "migrate-partition-keys",
        help="record an instance's YYYY-MM-01 monthly events under the YYYY-MM keys",
    )
    migrate.add_argument("--dry-run", action="store_true", help="say what, write nothing")
    args = parser.parse_args(argv)
    if args.verb == "breaker":
        return _breaker()
    if args.verb == "reset-breaker":
        return _reset_breaker()
    if args.verb == "codebook":
        return _codebook()
    if args.verb == "release":
        if args.release_verb == "verify":
            return _verify(args.bundle)
        return _release(args.out, args.months)
    if args.verb == "check":
        return _check(args.month, args.names)
    if args.verb == "bronze-copy":
        return _bronze_copy(args.source, args.target)
    if args.verb == "migrate-partition-keys":
        return _migrate_partition_keys(args.dry_run)
    return _archive_sidecar(args.archive)


if __name__ == "__main__":
    sys.exit(main())

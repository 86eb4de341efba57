"""Events an instance holds under the monthly keys of earlier releases (``2024-08-01``),
recorded again under the month labels the partitions use (``2024-08``).

For every monthly asset and asset check of the code location: the newest materialization (or
check evaluation) of each old key whose month has none under its label is reported again, as a
runless event of the label, its metadata kept and ``migrated_from_partition`` /
``migrated_from_run`` added. Idempotent: a month already recorded under its label (migrated, or
materialized since) is left alone. Runs and their ``dagster/partition`` tags are history and
keep the old spelling. ``python -m sec_assets migrate-partition-keys`` runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dagster as dg

from sec_assets.month import Month
from sec_assets.partitions import monthly_partitions

_LEGACY = re.compile(r"^\d{4}-\d{2}-01$")
_HISTORY_LIMIT = 100_000  # check executions read per check: more than 2017 → today many times


@dataclass(frozen=True)
class Moved:
    """One event recorded again: ``target`` is an asset key or ``asset:check``."""

    target: str
    old: str
    new: str
    run_id: str


@dataclass
class Migration:
    moved: list[Moved] = field(default_factory=list)
    already: list[Moved] = field(default_factory=list)  # the label had its own event

    def describe(self, *, dry_run: bool) -> str:
        verb = "would record" if dry_run else "recorded"
        lines = [f"{m.target}: {m.old} → {m.new} (from run {m.run_id[:8]})" for m in self.moved]
        lines.append(
            f"{verb} {len(self.moved)} event(s) under the month labels; "
            f"{len(self.already)} old key(s) left alone (their month already has its own)"
        )
        return "\n".join(lines)


def _monthly(defs: dg.Definitions) -> tuple[list[dg.AssetKey], list[dg.AssetCheckKey]]:
    graph = defs.resolve_asset_graph()
    assets = [
        k
        for k in sorted(graph.get_all_asset_keys())
        if graph.get(k).partitions_def == monthly_partitions
    ]
    checks = sorted(
        (c for c in graph.asset_check_keys if c.asset_key in assets),
        key=lambda c: (c.asset_key.to_user_string(), c.name),
    )
    return assets, checks


def _materializations(
    instance: dg.DagsterInstance, key: dg.AssetKey, out: Migration, dry_run: bool
) -> None:
    stored = instance.get_materialized_partitions(key)
    for old in sorted(p for p in stored if _LEGACY.match(p)):
        new = Month.parse(old).key
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[old]), limit=1
        ).records
        mat = records[0].asset_materialization if records else None
        if mat is None:
            continue
        moved = Moved(key.to_user_string(), old, new, records[0].run_id)
        if new in stored:
            out.already.append(moved)
            continue
        out.moved.append(moved)
        if not dry_run:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(
                    asset_key=key,
                    partition=new,
                    description=mat.description,
                    metadata={
                        **mat.metadata,
                        "migrated_from_partition": dg.MetadataValue.text(old),
                        "migrated_from_run": dg.MetadataValue.text(records[0].run_id),
                    },
                    tags=mat.tags,
                )
            )


def _target_partition(
    instance: dg.DagsterInstance, evaluation: dg.AssetCheckEvaluation
) -> str | None:
    """The partition of the materialization an evaluation checked (a check result returned with
    its asset's materialization names no partition of its own)."""
    target = evaluation.target_materialization_data
    if target is None:
        return None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=evaluation.asset_key, storage_ids=[target.storage_id]),
        limit=1,
    ).records
    return records[0].partition_key if records else None


def _check_evaluations(
    instance: dg.DagsterInstance, key: dg.AssetCheckKey, out: Migration, dry_run: bool
) -> None:
    history = instance.event_log_storage.get_asset_check_execution_history(key, _HISTORY_LIMIT)
    newest: dict[str, tuple[str, dg.AssetCheckEvaluation]] = {}
    for record in sorted(history, key=lambda r: r.id):  # oldest first: the newest wins
        evaluation = record.event.asset_check_evaluation if record.event else None
        if evaluation is None:
            continue
        partition = (
            record.partition or evaluation.partition or _target_partition(instance, evaluation)
        )
        if partition:
            newest[partition] = (record.run_id, evaluation)
    target = f"{key.asset_key.to_user_string()}:{key.name}"
    for old in sorted(p for p in newest if _LEGACY.match(p)):
        new = Month.parse(old).key
        run_id, evaluation = newest[old]
        moved = Moved(target, old, new, run_id)
        if new in newest:
            out.already.append(moved)
            continue
        out.moved.append(moved)
        if not dry_run:
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(
                    asset_key=key.asset_key,
                    check_name=key.name,
                    passed=evaluation.passed,
                    severity=evaluation.severity,
                    description=evaluation.description,
                    blocking=evaluation.blocking,
                    partition=new,
                    metadata={
                        **evaluation.metadata,
                        "migrated_from_partition": dg.MetadataValue.text(old),
                        "migrated_from_run": dg.MetadataValue.text(run_id),
                    },
                )
            )


def migrate_partition_keys(
    instance: dg.DagsterInstance, defs: dg.Definitions, *, dry_run: bool = False
) -> Migration:
    """Record the old-key events of ``defs``' monthly assets and checks under the labels
    (nothing is written with ``dry_run``); materializations first, then check evaluations."""
    out = Migration()
    assets, checks = _monthly(defs)
    for asset_key in assets:
        _materializations(instance, asset_key, out, dry_run)
    for check_key in checks:
        _check_evaluations(instance, check_key, out, dry_run)
    return out

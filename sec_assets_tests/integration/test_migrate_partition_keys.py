"""``python -m sec_assets migrate-partition-keys`` on a real instance (a temporary
``DAGSTER_HOME``) that holds materializations and check results made under the monthly keys of
earlier releases (``YYYY-MM-01``): afterwards each month is materialized and checked under its
label, with the old event's metadata and where it came from; a second run changes nothing."""

from pathlib import Path

import dagster as dg
import pytest

from sec_assets.__main__ import main
from sec_assets.month import HISTORY_START, SEC_TIMEZONE

# The partitions definition as earlier releases declared it: keys YYYY-MM-01.
OLD_PARTITIONS = dg.MonthlyPartitionsDefinition(
    start_date=HISTORY_START, timezone=SEC_TIMEZONE, end_offset=1
)
CHECK = "month_coverage_above_threshold"  # a real check of snapshot_ledger
OLD_KEYS, NEW_KEYS = ["2024-07-01", "2024-08-01"], ["2024-07", "2024-08"]


@dg.asset(key="sec_customers", partitions_def=OLD_PARTITIONS)
def old_sec_customers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"month_rows": 17, "key": context.partition_key})


@dg.asset(
    key="snapshot_ledger",
    partitions_def=OLD_PARTITIONS,
    check_specs=[dg.AssetCheckSpec(CHECK, asset="snapshot_ledger")],
)
def old_ledger(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    passed = context.partition_key != "2024-08-01"
    return dg.MaterializeResult(
        metadata={"hours": 744},
        check_results=[
            dg.AssetCheckResult(check_name=CHECK, passed=passed, metadata={"missing": 3})
        ],
    )


@pytest.fixture
def old_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME whose instance holds two months under the old keys."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        for key in OLD_KEYS:
            result = dg.materialize(
                [old_sec_customers, old_ledger],
                partition_key=key,
                instance=instance,
                raise_on_error=False,
            )
            assert result.get_asset_check_evaluations()
    return home


def _partitions(instance: dg.DagsterInstance, key: str) -> set[str]:
    return instance.get_materialized_partitions(dg.AssetKey(key))


def _check_history(instance: dg.DagsterInstance) -> dict[str, dg.AssetCheckEvaluation]:
    check_key = dg.AssetCheckKey(dg.AssetKey("snapshot_ledger"), CHECK)
    history = instance.event_log_storage.get_asset_check_execution_history(check_key, 100)
    return {
        r.partition: r.event.asset_check_evaluation
        for r in history
        if r.partition and r.event and r.event.asset_check_evaluation
    }


def test_old_keys_are_recorded_under_the_labels_once(
    old_instance: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-partition-keys", "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "sec_customers: 2024-07-01 → 2024-07" in said
    assert f"snapshot_ledger:{CHECK}: 2024-08-01 → 2024-08" in said
    assert "would record 6 event(s)" in said  # 2 assets x 2 months + the check x 2 months
    with dg.DagsterInstance.get() as instance:
        assert _partitions(instance, "sec_customers") == set(OLD_KEYS)  # dry run: nothing

    assert main(["migrate-partition-keys"]) == 0
    assert "recorded 6 event(s)" in capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:
        for asset in ("sec_customers", "snapshot_ledger"):
            assert _partitions(instance, asset) == {*OLD_KEYS, *NEW_KEYS}
        [record] = instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey("sec_customers"), asset_partitions=["2024-08"]),
            limit=5,
        ).records
        meta = record.asset_materialization.metadata  # type: ignore[union-attr]
        assert meta["month_rows"].value == 17 and meta["key"].value == "2024-08-01"
        assert meta["migrated_from_partition"].value == "2024-08-01"
        assert len(meta["migrated_from_run"].value) == 36  # the run that materialized it
        checks = _check_history(instance)
        assert checks["2024-07"].passed and not checks["2024-08"].passed  # verdicts kept
        assert checks["2024-08"].metadata["missing"].value == 3

    assert main(["migrate-partition-keys"]) == 0  # idempotent
    again = capsys.readouterr().out
    assert "recorded 0 event(s)" in again and "6 old key(s) left alone" in again
    with dg.DagsterInstance.get() as instance:
        records = instance.fetch_materializations(dg.AssetKey("sec_customers"), limit=50).records
        assert len(records) == 4  # 2 old + 2 migrated, not more


def test_a_month_materialized_under_its_label_is_left_alone(
    old_instance: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with dg.DagsterInstance.get() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization("sec_customers", partition="2024-08", metadata={"new": 1})
        )
    assert main(["migrate-partition-keys"]) == 0
    out = capsys.readouterr().out
    assert "sec_customers: 2024-08-01" not in out and "sec_customers: 2024-07-01" in out
    with dg.DagsterInstance.get() as instance:
        [record] = instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey("sec_customers"), asset_partitions=["2024-08"]),
            limit=5,
        ).records
        assert "migrated_from_partition" not in record.asset_materialization.metadata  # type: ignore[union-attr]

"""``month_by_month``: a ranged run does its months in order, records each month's own metadata,
names the months that fail (an unexpected error too) and reports the others as materialized."""

import dagster as dg

from sec_assets.month import Month
from sec_assets.month_runs import StopMonths, month_by_month
from sec_assets.partitions import BACKFILL_POLICY, monthly_partitions

MONTHS = Month.range(Month(2024, 1), 4)
RANGE = {
    "dagster/asset_partition_range_start": MONTHS[0].key,
    "dagster/asset_partition_range_end": MONTHS[-1].key,
}
BAD = {Month(2024, 2): ValueError("disk says no"), Month(2024, 3): dg.Failure("too few hours")}


def _asset(failures: dict[Month, Exception], seen: list[Month]) -> dg.AssetsDefinition:
    @dg.asset(name="months", partitions_def=monthly_partitions, backfill_policy=BACKFILL_POLICY)
    def months(context: dg.AssetExecutionContext):
        def work(month: Month) -> dict[str, object]:
            seen.append(month)
            if month in failures:
                raise failures[month]
            return {"dagster/row_count": dg.MetadataValue.int(month.month * 10)}

        yield from month_by_month(context, work)

    return months


def _materialized(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    return {
        m.partition: m.metadata["dagster/row_count"].value
        for m in result.asset_materializations_for_node("months")
    }


def test_each_month_of_a_range_keeps_its_own_metadata() -> None:
    seen: list[Month] = []
    result = dg.materialize([_asset({}, seen)], tags=RANGE)
    assert result.success and seen == MONTHS
    assert _materialized(result) == {m.key: m.month * 10 for m in MONTHS}


def test_failed_months_are_named_and_the_others_materialized() -> None:
    seen: list[Month] = []
    result = dg.materialize([_asset(BAD, seen)], tags=RANGE, raise_on_error=False)
    assert not result.success and seen == MONTHS  # every month tried, in order
    assert _materialized(result) == {MONTHS[0].key: 10, MONTHS[3].key: 40}
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "2 of 4 months of the run were not materialized" in message, message
    assert "- 2024-02: failed: ValueError: disk says no" in message, message
    assert "- 2024-03: failed: too few hours" in message, message


def test_a_stop_ends_the_range_and_a_single_month_fails_as_itself() -> None:
    seen: list[Month] = []
    stop = {Month(2024, 2): StopMonths("wrong SEC_BASE_URL")}
    result = dg.materialize([_asset(stop, seen)], tags=RANGE, raise_on_error=False)
    assert not result.success and seen == MONTHS[:2]
    message = next(
        e.event_specific_data.error.message
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    )
    assert "- 2024-04: not attempted: 2024-02 stopped the run" in message, message
    one = dg.materialize([_asset(stop, [])], partition_key=Month(2024, 2).key, raise_on_error=False)
    [failure] = [e for e in one.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.event_specific_data.error.message.strip().endswith("wrong SEC_BASE_URL")

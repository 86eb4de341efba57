import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from sec_assets.month import LocalHour, Month, local, sampled_hours
from sec_assets.partitions import monthly_partitions


@pytest.mark.parametrize(
    ("month", "count", "why"),
    [
        (Month(2024, 8), 744, "31 days, no clock change"),
        (Month(2025, 2), 672, "28 days"),
        (Month(2024, 2), 696, "leap year"),
        (Month(2025, 9), 719, "clocks go forward: one wall-clock hour is skipped"),
        (Month(2025, 4), 720, "clocks go back: the repeated hour is requested once"),
        (Month(2024, 4), 720, "clocks go back in 2024 too"),
    ],
)
def test_month_hours_counts(month: Month, count: int, why: str) -> None:
    assert len(month.hours()) == count, why


def test_skipped_september_hour_is_not_requested() -> None:
    keys = {h.key for h in Month(2025, 9).hours()}
    assert "2025-09-07T00" not in keys
    assert not LocalHour(date(2025, 9, 7), 0).exists
    assert LocalHour(date(2025, 9, 7), 1).exists
    assert {"2025-09-06T23", "2025-09-07T01"} <= keys


def test_repeated_april_hour_appears_once() -> None:
    hours = Month(2025, 4).hours()
    assert [h.key for h in hours].count("2025-04-05T23") == 1
    assert len({h.key for h in hours}) == len(hours)
    assert hours == sorted(hours)


def test_request_body_always_sends_all_four_fields() -> None:
    body = LocalHour(date(2024, 8, 2), 0).request_body
    assert body == {"anho": 2024, "mes": 8, "dia": 2, "hora": 0}


@pytest.mark.parametrize(
    ("per_day", "expected"),
    [(24, set(range(24))), (4, {0, 6, 12, 18}), (1, {0}), (8, {0, 3, 6, 9, 12, 15, 18, 21})],
)
def test_sampled_hours(per_day: int, expected: set[int]) -> None:
    assert sampled_hours(per_day) == expected


def test_sampled_month_has_four_hours_a_day() -> None:
    assert len(Month(2024, 8).hours(hours_per_day=4)) == 31 * 4


@pytest.mark.parametrize("bad", [0, 25, -1])
def test_sampled_hours_rejects_bad_cadence(bad: int) -> None:
    with pytest.raises(ValueError, match="hours_per_day"):
        sampled_hours(bad)


def test_key_round_trip() -> None:
    h = LocalHour(date(2024, 8, 2), 12)
    assert h.key == "2024-08-02T12"
    assert h.month_key == "2024-08"
    assert LocalHour.parse(h.key) == h
    assert h.start_utc.isoformat() == "2024-08-02T16:00:00+00:00"  # winter: UTC-4


# --- the month's spellings and arithmetic ---------------------------------------------------


@pytest.mark.parametrize("text", ["2024-07", "2024-07-01", "2024-07-15"])
def test_parse_accepts_label_key_and_day(text: str) -> None:
    assert Month.parse(text) == Month(2024, 7)


@pytest.mark.parametrize("bad", ["2024-13", "July", "2024/07", ""])
def test_parse_rejects_what_is_not_a_month(bad: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(bad)


def test_spellings() -> None:
    m = Month(2024, 7)
    assert (m.key, m.label, str(m)) == ("2024-07", "2024-07", "2024-07")
    assert m.legacy_key == "2024-07-01" and Month.parse(m.legacy_key) == m
    assert (m.start, m.end) == (date(2024, 7, 1), date(2024, 8, 1))
    assert Month.containing(date(2024, 7, 31)) == m
    assert Month.containing(datetime(2024, 7, 31, 23)) == m


def test_arithmetic_crosses_years() -> None:
    assert Month(2024, 12).next() == Month(2025, 1)
    assert Month(2025, 1).prev() == Month(2024, 12)
    assert Month(2024, 3).shift(-15) == Month(2022, 12)
    assert Month(2024, 11).through(Month(2025, 2)) == [
        Month(2024, 11),
        Month(2024, 12),
        Month(2025, 1),
        Month(2025, 2),
    ]
    assert Month(2025, 2).through(Month(2024, 11)) == []
    assert Month(2024, 1) < Month(2024, 2) < Month(2025, 1)


def test_range_counts_months_across_years() -> None:
    assert Month.range(Month(2024, 11), 4) == Month(2024, 11).through(Month(2025, 2))
    assert Month.range(Month(2024, 11), 4)[-1] == Month(2025, 2)
    assert Month.range(Month(2017, 1), 119)[-1] == Month(2026, 11)  # the bench's history
    assert Month.range(Month(2024, 8), 1) == [Month(2024, 8)]
    assert Month.range(Month(2024, 8), 0) == []


def test_local_start_is_the_wall_clock_midnight_of_the_first() -> None:
    assert Month(2024, 8).local_start == datetime(2024, 8, 1)
    assert Month(2024, 12).next().local_start == datetime(2025, 1, 1)
    assert Month(2024, 9).local_start.tzinfo is None  # as silver stores hora_local


def test_utc_bounds_are_chile_local_midnights() -> None:
    # August is winter (UTC-4); January is summer (UTC-3).
    assert Month(2024, 8).start_utc == datetime(2024, 8, 1, 4, tzinfo=UTC)
    assert Month(2024, 8).end_utc == datetime(2024, 9, 1, 4, tzinfo=UTC)
    assert Month(2025, 1).start_utc == datetime(2025, 1, 1, 3, tzinfo=UTC)


def test_bounds_match_the_partition_time_window() -> None:
    """The month's instants are the partitions definition's own window, for every month of a
    year that crosses both clock changes."""
    for m in Month(2024, 1).through(Month(2024, 12)):
        window = monthly_partitions.time_window_for_partition_key(m.key)
        assert (m.start_utc, m.end_utc) == (window.start, window.end)
        assert m.start == window.start.date()


def test_at_reads_chile_time() -> None:
    # 02:00 UTC on Aug 1st is still July 31st in Chile.
    assert Month.at(datetime(2024, 8, 1, 2, tzinfo=UTC)) == Month(2024, 7)
    assert Month.at(datetime(2024, 8, 1, 2)) == Month(2024, 7)  # naive means UTC
    assert Month.at(datetime(2024, 8, 1, 5, tzinfo=UTC)) == Month(2024, 8)
    assert local(None).tzinfo is not None


def test_partition_keys_are_the_month_labels() -> None:
    """The picker takes what every message says: ``2024-09``, not ``2024-09-01``."""
    from sec_assets.partitions import monthly_partitions

    keys = monthly_partitions.get_partition_keys()
    assert keys[0] == Month.history_start().key == "2017-01"
    assert keys == [m.key for m in Month.history_start().through(Month.at())]
    window = monthly_partitions.time_window_for_partition_key("2024-09")
    assert window.start.isoformat() == "2024-09-01T00:00:00-04:00"
    assert not monthly_partitions.has_partition_key("2024-09-01")


def test_of_and_range_of_a_single_partition_context() -> None:
    context = dg.build_asset_context(partition_key="2024-07")
    assert Month.of(context) == Month(2024, 7)
    assert Month.range_of(context) == [Month(2024, 7)]


def test_range_of_a_partition_key_range() -> None:
    context = dg.build_asset_context(partition_key_range=dg.PartitionKeyRange("2024-11", "2025-02"))
    labels = [m.label for m in Month.range_of(context)]
    assert labels == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_month_imports_no_dagster() -> None:
    """The bronze parser process imports Month: Dagster's import time stays out of it."""
    code = "import sys, sec_assets.month; print('dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hours_started_stop_at_now() -> None:
    month = Month(2024, 8)
    now = month.start_utc + timedelta(hours=5, minutes=30)
    assert [h.hour for h in month.hours_started(now)] == [0, 1, 2, 3, 4, 5]
    assert month.hours_started(month.start_utc - timedelta(seconds=1)) == []
    assert month.hours_started(month.end_utc, 4) == month.hours(4)

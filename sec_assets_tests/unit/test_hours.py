from datetime import date

import pytest

from sec_assets.bronze.hours import LocalHour, hour_exists, month_hours, sampled_hours


@pytest.mark.parametrize(
    ("month", "count", "why"),
    [
        (date(2024, 8, 1), 744, "31 days, no clock change"),
        (date(2025, 2, 1), 672, "28 days"),
        (date(2024, 2, 1), 696, "leap year"),
        (date(2025, 9, 1), 719, "clocks go forward: one wall-clock hour is skipped"),
        (date(2025, 4, 1), 720, "clocks go back: the repeated hour is requested once"),
        (date(2024, 4, 1), 720, "clocks go back in 2024 too"),
    ],
)
def test_month_hours_counts(month: date, count: int, why: str) -> None:
    assert len(month_hours(month)) == count, why


def test_skipped_september_hour_is_not_requested() -> None:
    keys = {h.key for h in month_hours(date(2025, 9, 1))}
    assert "2025-09-07T00" not in keys
    assert not hour_exists(LocalHour(date(2025, 9, 7), 0))
    assert {"2025-09-06T23", "2025-09-07T01"} <= keys


def test_repeated_april_hour_appears_once() -> None:
    hours = month_hours(date(2025, 4, 1))
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
    assert len(month_hours(date(2024, 8, 1), hours_per_day=4)) == 31 * 4


@pytest.mark.parametrize("bad", [0, 25, -1])
def test_sampled_hours_rejects_bad_cadence(bad: int) -> None:
    with pytest.raises(ValueError, match="hours_per_day"):
        sampled_hours(bad)


def test_key_round_trip() -> None:
    h = LocalHour(date(2024, 8, 2), 12)
    assert h.key == "2024-08-02T12"
    assert LocalHour.parse(h.key) == h
    assert h.start_utc.isoformat() == "2024-08-02T16:00:00+00:00"  # winter: UTC-4

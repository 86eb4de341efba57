"""One rule for times people read: Chile's wall clock with its offset, across both DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sec_assets.month import format_local


@pytest.mark.parametrize(
    ("utc", "text"),
    [
        # September 2024: at local midnight of the 8th the clock jumps to 01:00 (-04 → -03).
        (datetime(2024, 9, 8, 3, 59, tzinfo=UTC), "2024-09-07 23:59 -04"),
        (datetime(2024, 9, 8, 4, 0, tzinfo=UTC), "2024-09-08 01:00 -03"),
        # April 2024: local 23:30 of the 6th happens twice, once per offset.
        (datetime(2024, 4, 7, 2, 30, tzinfo=UTC), "2024-04-06 23:30 -03"),
        (datetime(2024, 4, 7, 3, 30, tzinfo=UTC), "2024-04-06 23:30 -04"),
    ],
)
def test_chile_wall_clock_with_its_offset(utc: datetime, text: str) -> None:
    assert format_local(utc) == text


def test_naive_datetimes_and_epoch_seconds_are_utc() -> None:
    t = datetime(2024, 8, 3, 8, 0)
    assert (
        format_local(t)
        == format_local(t.replace(tzinfo=UTC).timestamp())
        == ("2024-08-03 04:00 -04")
    )

"""The one reading of a month's missing hours (``bronze.store.hours_due``) and its three users:
the collector's plan, the bronze asset's metadata and the coverage sensor."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sec_assets.automation.coverage import month_coverage
from sec_assets.bronze.collect import plan_month
from sec_assets.bronze.store import BronzeStore, hours_due
from sec_assets.month import Month
from sec_assets_tests.unit.test_store import attempt

CLOSED = datetime(2030, 1, 1, tzinfo=UTC)


def _store(tmp_path: Path, month: str, keys: list[str]) -> BronzeStore:
    store = BronzeStore(tmp_path, "sec_snapshots")
    for key in keys:
        store.write(month, attempt(key, b"[]", outcome="empty"))
    store.write(month, attempt(f"{month}-02T05", b"<html>", outcome="invalid_body"))
    return store


def test_dst_months_expect_each_local_hour_once(tmp_path: Path) -> None:
    # April 2024: 23:00 of the 6th happens twice (one hour key); September: 00:00 of the 8th
    # never happens.
    april = hours_due(_store(tmp_path, "2024-04", []), Month(2024, 4), now=CLOSED)
    assert len(april.expected) == 720 and len(april.missing) == 720
    assert [h.key for h in april.expected].count("2024-04-06T23") == 1
    september = hours_due(_store(tmp_path, "2024-09", []), Month(2024, 9), now=CLOSED)
    assert len(september.expected) == 719
    assert "2024-09-08T00" not in {h.key for h in september.missing}


def test_sampled_cadence_expects_only_the_sampled_hours(tmp_path: Path) -> None:
    store = _store(tmp_path, "2024-08", ["2024-08-01T00", "2024-08-01T03", "2024-08-01T06"])
    due = hours_due(store, Month(2024, 8), now=CLOSED, hours_per_day=4)
    assert len(due.expected) == 31 * 4
    assert {h.hour for h in due.expected} == {0, 6, 12, 18}
    # 00 and 06 are answered; 03 is stored but not sampled; a failed try is not an answer.
    assert len(due.missing) == 31 * 4 - 2
    assert "2024-08-01T06" not in {h.key for h in due.missing}


def test_open_month_expects_hours_started_by_now(tmp_path: Path) -> None:
    store = _store(tmp_path, "2024-08", ["2024-08-10T11"])
    now = datetime(2024, 8, 10, 16, 30, tzinfo=UTC)  # 12:30 local (UTC-4)
    due = hours_due(store, Month(2024, 8), now=now)
    assert len(due.expected) == 9 * 24 + 13 and due.expected[-1].key == "2024-08-10T12"
    assert [h.key for h in due.missing][-2:] == ["2024-08-10T10", "2024-08-10T12"]


def test_collector_and_sensor_read_the_same_gaps(tmp_path: Path) -> None:
    store = _store(tmp_path, "2024-09", ["2024-09-01T00", "2024-09-08T01", "2024-09-30T23"])
    now = datetime(2024, 9, 20, 15, 0, tzinfo=UTC)
    grace = timedelta(hours=2)
    due = hours_due(store, Month(2024, 9), now=now - grace, hours_per_day=24)
    plan = plan_month(Month(2024, 9), store, now=now - grace)
    assert plan.missing == due.missing and plan.as_of == now - grace
    cov = month_coverage(Month(2024, 9), tmp_path, now=now, grace=grace)
    assert (cov.expected_hours, cov.missing_hours) == (len(due.expected), len(due.missing))

"""The run's event log against the simulator: one line per request only when asked
(``SEC_LOG_REQUESTS``); the fetch plan and the month's progress stay at INFO either way."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg

from sec_assets.bronze.assets import sec_snapshots
from sec_assets.resources import local_resources


def _log_of_run(sim, data_dir: Path, **over: object) -> list[dg.EventLogEntry]:
    """Every record of one in-process run of a month (one hour a day: 31 requests)."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [sec_snapshots],
            partition_key="2024-08",
            instance=instance,
            resources=local_resources(
                data_dir,
                base_url=sim.base_url,
                hours_per_day=1,
                requests_per_second=2000,
                max_attempts=3,
                backoff_initial_s=0.01,
                backoff_max_s=0.05,
                read_timeout_s=60,
                **over,
            ),
        )
        assert result.success
        return list(instance.all_logs(result.run_id))


def _requests(entries: list[dg.EventLogEntry]) -> list[dg.EventLogEntry]:
    return [e for e in entries if "sec_client stage=fetch" in e.user_message]


def test_requests_stay_out_of_the_event_log_by_default(sim, tmp_path: Path) -> None:
    entries = _log_of_run(sim, tmp_path / "data")
    assert _requests(entries) == []
    user_debug = [e for e in entries if e.level == logging.DEBUG and e.dagster_event is None]
    assert user_debug == []
    info = [e.user_message for e in entries if e.level == logging.INFO]
    assert any("31 hours due" in m for m in info)


def test_requests_are_logged_when_asked(sim, tmp_path: Path) -> None:
    lines = _requests(_log_of_run(sim, tmp_path / "data", log_requests=True))
    hours = [e for e in lines if "endpoint=GetPorFecha" in e.user_message]
    assert len(hours) == 31  # and the server-time request
    assert {e.level for e in lines} == {logging.DEBUG}
    assert all("status=200" in e.user_message for e in lines)

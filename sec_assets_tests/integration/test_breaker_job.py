"""The breaker can be closed from the UI: the ``reset_sec_breaker`` job of the code location,
run as the Launchpad runs it, closes an open breaker and says what it found."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from sec_assets.definitions import defs
from sec_assets.sec_client.breaker import BreakerState
from sec_assets.sec_client.resource import SecClientResource


def test_the_job_closes_an_open_breaker_and_says_what_it_found(tmp_path: Path) -> None:
    breaker = SecClientResource().breaker()
    for _ in range(breaker.failure_threshold):
        breaker.record_failure("HTTP 404 on GetPorFecha", endpoint="GetPorFecha")
    assert breaker.state is BreakerState.OPEN

    job = defs.resolve_job_def("reset_sec_breaker")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())

    assert result.success
    assert SecClientResource().breaker().state is BreakerState.CLOSED
    out = result.output_for_node("close_sec_breaker")
    assert out.startswith("SEC circuit breaker is closed")
    [mat] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = mat.event_specific_data.metadata  # type: ignore[union-attr]
    assert "OPEN" in meta["before"].value and "HTTP 404" in meta["before"].value
    assert meta["state_file"].value.endswith("sec_breaker.json")

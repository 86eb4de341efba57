"""Bronze files written directly from the simulator's answers, without HTTP.

The full-history bench needs ~119 months (~88,000 hourly answers): fetched over loopback HTTP
that is a quarter of an hour of client work, not what the bench measures. Here each hour's
answer is computed by the simulator's own service (:class:`SimService`, as ``sec-sim`` serves
it), validated by the client's own validator and stored by the bronze store as the collector
stores it: the same envelope, file name and outcome. Months already stored are skipped (the
history is cached between runs). Customers are not written: silver then takes the seed's
estimate for every region (``source = 'seed'``), as it does when the service did not answer.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sec_assets.bronze.collect import SERVER_TIME_KEY
from sec_assets.bronze.store import BronzeStore
from sec_assets.month import Month
from sec_assets.sec_client.exchange import Attempt
from sec_assets.sec_client.validation import validate_snapshot
from sec_sim.config import SimConfig
from sec_sim.server import encode_json
from sec_sim.service import SimService
from sec_sim.timeutil import hour_index

URL = "http://sec-sim.invalid/ClientesAfectados"


def _attempt(endpoint: str, body: dict, key: str, payload: bytes, at: datetime) -> Attempt:
    summary: dict[str, object] = {}
    outcome = "ok"
    if endpoint == "GetPorFecha":
        answer = validate_snapshot(payload, hour=key)
        outcome = "empty" if answer.era == "empty" else "ok"
        summary = {
            "era": answer.era,
            "fingerprint": answer.fingerprint,
            "rows": len(answer.rows),
            "customers": answer.customers,
        }
    headers = {"Content-Type": "application/json; charset=utf-8"}
    return Attempt(
        endpoint,
        f"{URL}/{endpoint}",
        body,
        key,
        1,
        at,
        1.0,
        200,
        headers,
        payload,
        outcome,
        None,
        **summary,  # type: ignore[arg-type]
    )


def write_month(
    root: Path, month: Month, seed: int, clock: datetime, hours_per_day: int = 24
) -> int:
    """Every hour of ``month`` (and the server time) into ``root``/sec_snapshots; returns the
    raw rows written. Skips a month whose folder is complete (marker file)."""
    store = BronzeStore(root, "sec_snapshots")
    key = month.label
    done = store.month_dir(key) / ".generated"
    if done.exists():
        return int(done.read_text() or 0)
    service = SimService(SimConfig(seed=seed, clock=clock))
    at = min(datetime.combine(month.end, time(6), UTC), datetime.now(UTC))
    rows = 0
    for h in month.hours(hours_per_day):
        naive = datetime(h.day.year, h.day.month, h.day.day, h.hour)
        payload = encode_json(service.por_fecha(hour_index(naive)))
        attempt = _attempt("GetPorFecha", h.request_body, h.key, payload, at)
        rows += attempt.rows or 0
        store.write(key, attempt)
    server = encode_json([{"FECHA": (naive + timedelta(hours=1)).strftime("%d/%m/%Y %H:%M")}])
    store.write(key, _attempt("GetHoraServer", {}, SERVER_TIME_KEY, server, at))
    done.write_text(str(rows))
    return rows


def generate(root: Path, months: list[Month], seed: int = 42, workers: int = 2) -> int:
    """Write the months missing under ``root`` (two processes); returns the raw rows stored."""
    clock = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=3)  # about Chile's time
    with ProcessPoolExecutor(workers) as pool:
        n = len(months)
        return sum(pool.map(write_month, [root] * n, months, [seed] * n, [clock] * n))

"""``python -m sec_tools.checkrun --hostile``: a month of hostile answers (``sec-sim --hostile``)
through bronze → silver, beside a clean run of the same seed.

It passes when the month completes, every hostile hour is counted with its reason (ledger status,
quarantine reason, the bronze outcome), the breaker stays closed, no spelling of the proxy's
credentials (raw, percent, JSON, HTML, hex, base64; UTF-8 or UTF-16) is stored anywhere in
bronze, the echoes in valid answers are counted (``secret_echoed``), and every other hour of the
month is identical to the clean run's (ledger status and facts).
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import dagster as dg
import polars as pl

from sec_assets.resources import Resources, local_resources
from sec_assets.secrets.redactor import Redactor
from sec_sim import SimConfig, run_simulator
from sec_sim.hostile import (
    COUNTED_CASES,
    ECHOED_CASES,
    FAILED_CASES,
    SCHEMA_ERROR_CASES,
    WRONG_DATE_CASES,
    hostile_hours,
    warm_up,
)
from sec_tools.demo import MONTHLY, UNPARTITIONED, run_selection

PARTITION = "2024-08"
MONTH = PARTITION  # the partition key is the month label
PROXY_USER, PROXY_PASSWORD = "collector", "hunter2-proxy-Secret"
FACT_COLUMNS = "hour_key, hash_id, geografia_id, empresa_id, clientes_afectados, fragmentos"


def _resources(data: Path, base_url: str, proxy: str | None) -> Resources:
    return local_resources(
        data,
        base_url=base_url,
        http_proxy=proxy,
        max_concurrency=8,
        requests_per_second=500,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        max_body_bytes=1024 * 1024,  # the simulator's junk answer is 2 MiB
        attempt_deadline_s=10.0,  # its drip lasts 25 s; a loaded machine answers in ~2 s
    )


def _month(tmp: Path, name: str, config: SimConfig, *, via_proxy: bool) -> Path:
    data = tmp / name
    (tmp / f"{name}_home").mkdir()
    with (
        dg.instance_for_test(temp_dir=str(tmp / f"{name}_home")) as instance,
        run_simulator(config) as sim,
    ):
        port = sim.base_url.split(":")[2].split("/")[0]
        proxy = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{port}" if via_proxy else None
        warm_up(sim.base_url, MONTH)
        resources = _resources(data, sim.base_url, proxy)
        for selection, partition in ((UNPARTITIONED, None), (MONTHLY, PARTITION)):
            result = run_selection(selection, resources, instance, partition)
            if not result.success:
                raise SystemExit(f"{name}: the {selection} run failed")
    return data


def _read(data: Path, sql: str) -> pl.DataFrame:
    return local_resources(data)["warehouse"].get_warehouse().read(sql)


def _secret_hits(data: Path) -> int:
    """Spellings of the proxy's credentials stored in bronze (searched as the collector masks
    them: every spelling, UTF-8 and UTF-16)."""
    spelled = Redactor([PROXY_PASSWORD, f"{PROXY_USER}:{PROXY_PASSWORD}"])
    return sum(
        spelled.bytes_counted(gzip.decompress(path.read_bytes()))[1]
        for path in (data / "bronze").rglob("*.json.gz")
    )


def _hostile_rows(data: Path, hostile: dict[str, str]) -> list[tuple[str, str, str, str, bool]]:
    """(hour, case, ledger status, reason, as expected?) for each hostile hour; the reason is the
    quarantine's (schema errors) or the bronze outcome."""
    ledger = dict(_read(data, "SELECT hour_key, status FROM silver.snapshot_ledger").iter_rows())
    quarantine = dict(_read(data, "SELECT hour_key, detail FROM silver.quarantine").iter_rows())
    guard = dict(_read(data, "SELECT guardrail, rows FROM silver.guardrail_counts").iter_rows())
    out = []
    for hour, case in sorted(hostile.items()):
        folder = data / "bronze" / "sec_snapshots" / f"month={MONTH}" / hour
        outcomes = sorted({p.name.split("-")[2] for p in folder.glob("*.json.gz")})
        status = ledger.get(hour, "absent")
        if case in SCHEMA_ERROR_CASES:
            ok = status == "schema_error" and hour in quarantine
        elif case in WRONG_DATE_CASES:
            ok = status == "wrong_date" and hour in quarantine
        elif case in FAILED_CASES:
            ok = status == "failed" and outcomes == [FAILED_CASES[case]]
        elif case in ECHOED_CASES:  # a valid hour, the echoed credentials masked and counted
            ok = status == "ok" and guard.get("secret_echoed", 0) > 0
        else:  # a valid hour, its oddity repaired and counted
            ok = status == "ok" and guard.get(COUNTED_CASES[case], 0) > 0
        reason = quarantine.get(hour, "").split(": ")[1:2] or [",".join(outcomes)]
        out.append((hour, case, status, reason[0][:60].replace("|", "/"), ok))
    return out


def _unchanged(clean: Path, hostile: Path, hours: set[str]) -> tuple[bool, int]:
    sql = (
        f"SELECT {FACT_COLUMNS} FROM silver.fact_interrupciones ORDER BY hour_key, hash_id",
        "SELECT hour_key, status, rows_raw, customers FROM silver.snapshot_ledger "
        "ORDER BY hour_key",
    )
    same, compared = True, 0
    for query in sql:
        frames = [
            _read(d, query).filter(~pl.col("hour_key").is_in(sorted(hours)))
            for d in (clean, hostile)
        ]
        same = same and frames[0].equals(frames[1])
        compared += frames[0].height
    return same, compared


def run_hostile() -> int:
    hostile = hostile_hours(MONTH)
    with tempfile.TemporaryDirectory(prefix="sec_check_hostile_") as name:
        tmp = Path(name)
        clean = _month(tmp, "clean", SimConfig(seed=42), via_proxy=False)
        data = _month(
            tmp, "hostile", SimConfig(seed=42, hostile=True, hostile_drip_s=25), via_proxy=True
        )
        rows = _hostile_rows(data, hostile)
        same, compared = _unchanged(clean, data, set(hostile))
        breaker = local_resources(data)["sec_client"].breaker().state.value
        hits = _secret_hits(data)
    print("| hour | case | ledger | reason | as expected |\n|---|---|---|---|---|")
    for hour, case, status, reason, ok in rows:
        print(f"| {hour} | {case} | {status} | {reason} | {'yes' if ok else 'NO'} |")
    ok = all(r[-1] for r in rows) and same and breaker == "closed" and hits == 0
    print(
        f"\nhostile month: {sum(r[-1] for r in rows)}/{len(rows)} hostile hours as expected; "
        f"other hours identical to a clean run: {same} ({compared} rows compared); "
        f"breaker {breaker}; secret hits in bronze: {hits} → {'OK' if ok else 'UNEXPECTED'}"
    )
    return 0 if ok else 1

"""A month of hostile answers (``sec-sim --hostile``) through bronze → silver, beside a clean
month of the same seed: every hostile hour is a typed, stored, counted outcome; the breaker
stays closed; no secret is stored or logged; every other hour is unchanged (issue 11)."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from sec_assets.bronze.store import BronzeStore, read_envelope
from sec_assets.resources import local_resources
from sec_assets_tests.spellings import leaks
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
from sec_tools.demo import run_selection

PER_DAY = 4  # 00, 06, 12, 18: the hostile hours (06) are sampled; 124 requests a month
PARTITION = MONTH = "2024-08"  # the partition key is the label
BRONZE = ["sec_snapshots", "sec_customers"]
SILVER = [
    "dim_geografia",
    "dim_empresa",
    "dim_tiempo",
    "region_customers",
    "snapshot_ledger",
    "fact_interrupciones",
]
USER, PASSWORD = "collector", "s3cret-Proxy-pass"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
PROXY = f"http://{USER}:{PASSWORD}@127.0.0.1:9"  # known to the settings, never reached
HOSTILE = hostile_hours(MONTH)


def _resources(data: Path, base_url: str, proxy: str | None = None) -> dict:
    return local_resources(
        data,
        base_url=base_url,
        hours_per_day=PER_DAY,
        http_proxy=proxy,
        max_concurrency=8,
        requests_per_second=2000,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.02,
        read_timeout_s=20,
        max_body_bytes=128 * 1024,  # the simulator's junk: 256 KiB
        attempt_deadline_s=5.0,  # its drip: 15 s (a loaded machine answers in ~2 s)
    )


def _month(data: Path, config: SimConfig, *, via_proxy: bool) -> list:
    with run_simulator(config) as sim:
        port = sim.base_url.split(":")[2].split("/")[0]
        # The simulator is its own proxy: httpx sends it Proxy-Authorization, the 'echo' hour
        # answers a proxy's 502 page that repeats it.
        proxy = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}" if via_proxy else None
        warm_up(sim.base_url, MONTH)
        resources = _resources(data, sim.base_url, proxy)
        return [
            run_selection(BRONZE, resources, partition=PARTITION),
            run_selection(SILVER, resources, partition=PARTITION),
        ]


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    # 16 of the 124 sampled hours are unusable by design (of a whole month's 744: 16).
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SEC_MIN_MONTH_COVERAGE", "0.85")
        yield _months(tmp_path_factory.mktemp("hostile"))


def _months(root: Path) -> dict:
    clean = _month(root / "clean", SimConfig(seed=5), via_proxy=False)
    hostile_cfg = SimConfig(seed=5, hostile=True, hostile_body_bytes=256 * 1024, hostile_drip_s=15)
    hostile = _month(root / "hostile", hostile_cfg, via_proxy=True)
    return {"root": root, "clean": clean, "hostile": hostile}


def _read(data: Path, sql: str) -> pl.DataFrame:
    return local_resources(data)["warehouse"].get_warehouse().read(sql)


def _files(data: Path, hour: str) -> list[Path]:
    return sorted((data / "bronze/sec_snapshots" / f"month={MONTH}" / hour).glob("*.json.gz"))


def test_the_hostile_month_completes_with_the_breaker_closed(months: dict) -> None:
    assert all(r.success for r in months["hostile"])
    data = months["root"] / "hostile"
    breaker = local_resources(data)["sec_client"].breaker().snapshot()
    assert breaker["state"] == "closed"  # the 3 transient hostile hours never opened it


def test_every_hostile_hour_is_counted_with_its_reason(months: dict) -> None:
    data = months["root"] / "hostile"
    ledger = dict(_read(data, "SELECT hour_key, status FROM silver.snapshot_ledger").iter_rows())
    quarantine = _read(data, "SELECT hour_key, reason, source_file, detail FROM silver.quarantine")
    by_hour = {r["hour_key"]: r for r in quarantine.iter_rows(named=True)}
    for hour, case in HOSTILE.items():
        outcomes = {p.name.split("-")[2] for p in _files(data, hour)}
        if case in SCHEMA_ERROR_CASES | WRONG_DATE_CASES:
            kind = "wrong_date" if case in WRONG_DATE_CASES else "schema_error"
            assert ledger[hour] == kind, (hour, case)
            assert outcomes == {kind}, (hour, case)  # stored, not retried in the run
            row = by_hour[hour]  # quarantined with its file and a snippet of the body
            assert row["reason"] == kind and row["source_file"].endswith(".json.gz")
            assert f"hour={hour}" in row["detail"] and ": '" in row["detail"]  # + a snippet
        elif case in FAILED_CASES:
            assert ledger[hour] == "failed", (hour, case)
            assert outcomes == {FAILED_CASES[case]}, (hour, case)
            assert len(_files(data, hour)) == 2  # retried like any transient failure
        else:
            assert ledger[hour] == "ok"
    quarantined = SCHEMA_ERROR_CASES | WRONG_DATE_CASES
    assert set(by_hour) == {h for h, c in HOSTILE.items() if c in quarantined}
    guard = dict(_read(data, "SELECT guardrail, rows FROM silver.guardrail_counts").iter_rows())
    assert all(guard[g] > 0 for g in COUNTED_CASES.values())


def test_cut_answers_record_their_size_and_time(months: dict) -> None:
    data = months["root"] / "hostile"
    for case, reason, limit in (
        ("oversized", "body_too_large", 128 * 1024),
        ("drip", "deadline_exceeded", 5.0),
    ):
        [hour] = [h for h, c in HOSTILE.items() if c == case]
        for path in _files(data, hour):
            doc = read_envelope(path)
            cut = doc["body_cut"]
            assert doc["outcome"] == reason and cut["reason"] == reason and cut["limit"] == limit
            assert doc["body_bytes"] == cut["bytes_kept"] <= 64 * 1024
            assert cut["bytes_received"] >= cut["bytes_kept"] and cut["elapsed_s"] > 0
            assert path.stat().st_size < 70 * 1024  # not megabytes of junk per attempt
        if case == "oversized":
            assert cut["bytes_received"] > limit
        else:
            assert cut["elapsed_s"] >= 5.0


def test_identical_duplicates_are_summed_and_counted(months: dict) -> None:
    data = months["root"] / "hostile"
    guard = dict(_read(data, "SELECT guardrail, rows FROM silver.guardrail_counts").iter_rows())
    assert guard["duplicate_rows"] == 5
    [mat] = [
        m
        for m in months["hostile"][1].asset_materializations_for_node("silver_observations")
        if m.asset_key.to_user_string() == "fact_interrupciones"
    ]
    assert mat.metadata["guardrail_duplicate_rows"].value == 5
    clean = _read(months["root"] / "clean", "SELECT guardrail, rows FROM silver.guardrail_counts")
    assert dict(clean.iter_rows())["duplicate_rows"] == 0


def test_every_other_hour_is_unchanged(months: dict) -> None:
    hours = sorted(HOSTILE)
    for sql in (
        "SELECT hour_key, hash_id, clientes_afectados, fragmentos FROM silver.fact_interrupciones",
        "SELECT hour_key, status, rows_raw, customers FROM silver.snapshot_ledger",
    ):
        clean, hostile = (
            _read(months["root"] / d, sql).filter(~pl.col("hour_key").is_in(hours)).sort(pl.all())
            for d in ("clean", "hostile")
        )
        assert clean.height > 100 and clean.equals(hostile)


SECRETS = [PASSWORD, f"{USER}:{PASSWORD}"]


def test_no_secret_is_stored_or_logged(months: dict) -> None:
    data = months["root"] / "hostile"
    [echo] = [h for h, c in HOSTILE.items() if c == "echo"]
    page = read_envelope(_files(data, echo)[0])["body"]
    assert "Proxy-Authorization: Basic ***" in page  # the echo happened, masked
    for path in (data / "bronze").rglob("*.json.gz"):
        assert not leaks(gzip.decompress(path.read_bytes()), SECRETS), path
    for result in months["hostile"]:
        for event in result.all_events:
            text = json.dumps(str(event.message)) + repr(event.event_specific_data)
            assert not leaks(text.encode(), SECRETS)


def test_every_echoed_spelling_is_masked_and_counted(months: dict) -> None:
    """A relay echoing the proxy credentials in hex, JSON-escaped, HTML-escaped and
    percent-encoded, split across two rows, in UTF-16 or across the size cut: bronze keeps each
    answer with them masked and counted; silver's text columns hold only the mask, counted as
    ``secret_echoed``."""
    data = months["root"] / "hostile"
    echoes = {h: c for h, c in HOSTILE.items() if c.startswith("echo") or c == "oversized"}
    for hour in echoes:
        for path in _files(data, hour):
            raw = gzip.decompress(path.read_bytes())
            assert not leaks(raw, SECRETS), (hour, path)
            assert read_envelope(path)["secret_echoed"] >= 1, (hour, echoes[hour])
    facts = _read(data, "SELECT hour_key, nombre_comuna_raw FROM silver.fact_interrupciones")
    echoed = facts.filter(
        pl.col("hour_key").is_in([h for h, c in echoes.items() if c in ECHOED_CASES])
    )
    assert set(
        echoed.filter(pl.col("nombre_comuna_raw").str.contains("***", literal=True))["hour_key"]
    ) == {h for h, c in echoes.items() if c in ECHOED_CASES}
    for table in ("fact_interrupciones", "snapshot_ledger", "quarantine"):
        stored = _read(data, f"SELECT * FROM silver.{table}").select(pl.all().cast(pl.String))
        text = "\n".join(v for row in stored.iter_rows() for v in row if v is not None)
        assert not leaks(text.encode(), SECRETS), table
    guard = dict(_read(data, "SELECT guardrail, rows FROM silver.guardrail_counts").iter_rows())
    assert guard["secret_echoed"] == 4  # a row JSON-escaped, one HTML-escaped, two split


def test_silver_quarantines_a_stored_answer_it_cannot_use(months: dict, tmp_path: Path) -> None:
    """Bronze written before a rule existed (an 'ok' file with NaN): silver names the hour and
    the file in quarantine, marks the hour schema_error, and the month still builds."""
    data = tmp_path / "data"
    shutil.copytree(months["root"] / "clean" / "bronze", data / "bronze")
    hour = f"{MONTH}-20T12"
    [good] = _files(data, hour)
    doc = read_envelope(good)
    doc["body"] = '[{"NOMBRE_REGION":"Maule","NOMBRE_COMUNA":"Talca","CLIENTES_AFECTADOS":NaN}]'
    later = good.with_name("29990101T000000000000Z-a1-ok-000000000000.json.gz")  # the newest
    later.write_bytes(gzip.compress(json.dumps(doc).encode()))
    result = run_selection(SILVER, _resources(data, "http://127.0.0.1:9"), partition=PARTITION)
    assert result.success
    ledger = dict(_read(data, "SELECT hour_key, status FROM silver.snapshot_ledger").iter_rows())
    assert ledger[hour] == "schema_error"
    [row] = _read(data, "SELECT * FROM silver.quarantine").iter_rows(named=True)
    assert row["hour_key"] == hour and row["source_file"].endswith(later.name)
    assert "NaN" in row["detail"]
    assert BronzeStore(data / "bronze", "sec_snapshots").latest_good(MONTH)[hour].path == later


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_silver_masks_an_echo_kept_by_older_bronze(
    months: dict,
    engine: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bronze written before echoes were masked (an answer whose comuna is the proxy
    credentials JSON-escaped, and the next one's its password as HTML entities): on either
    engine silver stores only the mask, counted as ``secret_echoed``. The proxy is configured
    in the environment, as a deployment does; a silver run never reaches it."""
    monkeypatch.setenv("SEC_HTTP_PROXY", PROXY)
    data = tmp_path / "data"
    shutil.copytree(months["root"] / "clean" / "bronze", data / "bronze")
    hour = f"{MONTH}-20T12"
    [good] = _files(data, hour)
    doc = read_envelope(good)
    rows = json.loads(doc["body"])
    credentials = f"{USER}:{PASSWORD}"
    rows[0]["NOMBRE_COMUNA"] = "__first__"
    rows[1]["NOMBRE_COMUNA"] = "__second__"
    escaped = "".join(f"\\u{ord(c):04x}" for c in credentials)
    doc["body"] = (
        json.dumps(rows, ensure_ascii=False)
        .replace("__first__", escaped)
        .replace("__second__", "".join(f"&#{ord(c)};" for c in credentials[9:]))
    )
    later = good.with_name("29990101T000000000000Z-a1-ok-000000000000.json.gz")
    later.write_bytes(gzip.compress(json.dumps(doc).encode()))
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    resources = local_resources(data, pg_dsn=dsn, hours_per_day=PER_DAY)
    assert run_selection(SILVER, resources, partition=PARTITION).success
    read = resources["warehouse"].get_warehouse().read
    facts = read(f"SELECT * FROM silver.fact_interrupciones WHERE hour_key = '{hour}'")
    text = "\n".join(str(v) for row in facts.iter_rows() for v in row)
    assert not leaks(text.encode(), SECRETS) and "***" in text
    guard = dict(read("SELECT guardrail, rows FROM silver.guardrail_counts").iter_rows())
    assert guard["secret_echoed"] >= 1

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sec_assets.bronze.collect import plan_month
from sec_assets.bronze.store import (
    BRONZE_GZIP_LEVEL,
    BronzeStore,
    StoredFile,
    body_bytes,
    envelope,
    envelope_json,
    read_envelope,
)
from sec_assets.month import Month
from sec_assets.sec_client.exchange import Attempt

T0 = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)


def attempt(
    key: str, body: bytes | None, outcome: str = "ok", n: int = 1, at: datetime = T0
) -> Attempt:
    return Attempt(
        "GetPorFecha",
        "http://x/GetPorFecha",
        {"anho": 2024},
        key,
        n,
        at,
        12.5,
        200 if body is not None else None,
        {"date": "x"},
        body,
        outcome,
    )


def test_write_is_lossless_for_any_bytes(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path, "sec_snapshots")
    for raw in [b'[{"NOMBRE_COMUNA": "\xc3\x91u\xc3\xb1oa"}]', b"\xff\xfe<html>latin1 \xe9</html>"]:
        path = store.write(
            "2024-08", attempt("2024-08-02T12", raw, at=T0 + timedelta(seconds=len(raw)))
        )
        doc = read_envelope(path)
        assert body_bytes(doc) == raw
        assert doc["content_sha256"] == __import__("hashlib").sha256(raw).hexdigest()


def test_transport_failure_is_stored_without_body(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path, "sec_snapshots")
    path = store.write("2024-08", attempt("2024-08-02T12", None, outcome="transport_error"))
    doc = read_envelope(path)
    assert doc["body"] is None and doc["outcome"] == "transport_error"
    assert store.latest_good("2024-08") == {}


def test_rewrite_same_exchange_is_idempotent_and_versions_append(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path, "sec_snapshots")
    a = attempt("2024-08-02T12", b"[]", outcome="empty")
    assert store.write("2024-08", a) == store.write("2024-08", a)
    later = attempt("2024-08-02T12", b"[1]", at=T0 + timedelta(days=2))
    store.write("2024-08", later)
    assert store.versions("2024-08") == {"2024-08-02T12": 2}
    latest = store.latest_good("2024-08")["2024-08-02T12"]
    assert latest.fetched_at == later.fetched_at and latest.outcome == "ok"


def test_no_temporary_files_are_left_and_files_are_gzip_json(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path, "sec_snapshots")
    path = store.write("2024-08", attempt("2024-08-02T12", b"[]", outcome="empty"))
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert json.loads(gzip.decompress(path.read_bytes()))["schema"] == "sec_assets.bronze/1"
    parsed = StoredFile.parse(path)
    assert (parsed.key, parsed.attempt, parsed.outcome) == ("2024-08-02T12", 1, "empty")


def test_plan_resumes_with_only_the_missing_hours(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path, "sec_snapshots")
    store.write("2024-08", attempt("2024-08-01T00", b"[]", outcome="empty"))
    store.write("2024-08", attempt("2024-08-01T01", b"<html>", outcome="invalid_body"))
    plan = plan_month(Month(2024, 8), store, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert len(plan.expected) == 744 and len(plan.missing) == 743
    assert "2024-08-01T00" not in {h.key for h in plan.missing}
    assert "2024-08-01T01" in {h.key for h in plan.missing}  # a failed try does not count
    assert plan.revisions == []  # a closed month is not re-fetched


def test_open_month_expects_started_hours_and_refetches_recent_ones(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path, "sec_snapshots")
    now = datetime(2024, 8, 10, 16, 30, tzinfo=UTC)  # 12:30 local (UTC-4)
    for h in range(12):
        store.write(
            "2024-08",
            attempt(f"2024-08-10T{h:02d}", b"[]", outcome="empty", at=now - timedelta(hours=2)),
        )
    plan = plan_month(
        Month(2024, 8), store, now=now, revision_lookback_hours=6, revision_min_age_s=3600
    )
    assert plan.expected[-1].key == "2024-08-10T12"  # the current hour has started
    assert len(plan.expected) == 9 * 24 + 13
    assert [h.key for h in plan.missing][-1] == "2024-08-10T12"
    assert [h.key for h in plan.revisions] == [f"2024-08-10T{h:02d}" for h in range(6, 12)]


def test_orphan_temporary_files_are_removed(tmp_path) -> None:
    from sec_assets.bronze.store import BronzeStore

    store = BronzeStore(tmp_path, "sec_snapshots")
    hour = store.month_dir("2024-08") / "2024-08-01T00"
    hour.mkdir(parents=True)
    (hour / ".tmp-abc").write_bytes(b"x")
    (hour / ".f.json.gz.123.tmp").write_bytes(b"x")
    kept = hour / "20240801T000000000000Z-a1-ok-0123456789ab.json.gz"
    kept.write_bytes(b"x")
    assert store.remove_orphans("2024-08") == 2
    assert [p.name for p in hour.iterdir()] == [kept.name]
    assert store.remove_orphans("2099-01") == 0


def test_files_are_written_at_the_bronze_level_and_level_9_files_read_the_same(
    tmp_path: Path,
) -> None:
    """A bronze file is its name and its decompressed envelope: a file gzipped at level 9 (as
    every bronze file was before ``BRONZE_GZIP_LEVEL``) reads as the one written now."""
    store = BronzeStore(tmp_path, "sec_snapshots")
    a = attempt("2024-08-02T12", '[{"NOMBRE_COMUNA": "Ñuñoa"}]'.encode())
    path = store.write("2024-08", a)
    text = envelope_json(envelope(a))
    assert path.read_bytes() == gzip.compress(text, compresslevel=BRONZE_GZIP_LEVEL, mtime=0)
    old = tmp_path / "old" / path.name
    old.parent.mkdir()
    old.write_bytes(gzip.compress(text, mtime=0))  # level 9, the old writer's call
    assert old.read_bytes() != path.read_bytes()
    assert read_envelope(old) == read_envelope(path) and body_bytes(read_envelope(old)) == a.body
    assert StoredFile.parse(old).sha == StoredFile.parse(path).sha

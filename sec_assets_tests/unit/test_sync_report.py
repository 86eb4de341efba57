"""The publication report, its error, and the resource's choice of target and its secrecy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sec_assets.gold.sync import (
    DashboardConfigError,
    DashboardPublishError,
    DashboardSinkResource,
    PublishReport,
)
from sec_assets.gold.sync.errors import redact
from sec_assets.gold.sync.files import JsonFileSink
from sec_assets.gold.sync.supabase_sink import SupabaseSink, redact_supabase_url

KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXVuaXQ"


def test_a_clean_report_does_not_raise() -> None:
    report = PublishReport("files", "/tmp/x", published=["market_map"])
    assert report.ok
    report.raise_for_failures()


def test_raise_for_failures_lists_every_failed_id() -> None:
    report = PublishReport(
        "supabase",
        "https://abc.supabase.co/rest/v1/dashboard_stats",
        published=["market_map"],
        failed={"time_series": "HTTP 503: unavailable", "company_ranking": "HTTP 400: bad"},
    )
    with pytest.raises(DashboardPublishError) as info:
        report.raise_for_failures()
    text = str(info.value)
    assert text.startswith("2 dashboard payload(s) failed to publish to supabase")
    assert "company_ranking, time_series; 1 published" in text
    assert "  time_series: HTTP 503: unavailable" in text
    assert info.value.failed == report.failed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {KEY} refused", "token *** refused"),
        ("key sb_secret_AbC-123_x rejected", "key *** rejected"),
        ("the exact secret s3cr3t", "the exact secret ***"),
        ("nothing secret", "nothing secret"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text, "s3cr3t", None) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://abc.supabase.co", "https://abc.supabase.co/rest/v1/dashboard_stats"),
        ("https://abc.supabase.co/", "https://abc.supabase.co/rest/v1/dashboard_stats"),
        (
            "https://u:pw@h.example:8443/base?k=v",
            "https://h.example:8443/base/rest/v1/dashboard_stats",
        ),
    ],
)
def test_the_location_is_redacted(url: str, expected: str) -> None:
    assert redact_supabase_url(url) == expected


def test_both_variables_select_supabase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_URL", "https://abc.supabase.co")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", KEY)
    sink, key = DashboardSinkResource()._sink(logging.getLogger("t"))
    assert isinstance(sink, SupabaseSink) and key == KEY
    assert sink.location == "https://abc.supabase.co/rest/v1/dashboard_stats"
    assert KEY not in repr(sink)


@pytest.mark.parametrize("present", ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"])
def test_one_variable_alone_falls_back_to_files_with_a_warning(
    present: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(present, KEY if present.endswith("KEY") else "https://abc.supabase.co")
    report = DashboardSinkResource().publish({"market_map": []})
    assert report.target == "files" and report.published == ["market_map"]
    assert "is not set; writing JSON files instead" in caplog.text
    assert KEY not in caplog.text


def test_a_bad_url_fails_every_payload_clearly(tmp_path: Path) -> None:
    resource = DashboardSinkResource(supabase_url="https://", supabase_service_role_key=KEY)
    report = resource.publish({"market_map": [], "time_series": []})
    assert sorted(report.failed) == ["market_map", "time_series"]
    assert "cannot create the Supabase client" in report.failed["market_map"]


@pytest.mark.parametrize(
    "url",
    [
        "http://192.0.2.2:18784",  # a LAN address
        "http://abc.supabase.co",
        "http://u:pw@127.0.0.1.example.com",  # a name that only looks loopback
        "HTTP://[2001:db8::1]:80",
        "abc.supabase.co",  # no scheme at all
        "not a url",
    ],
)
def test_a_url_without_tls_is_refused_before_anything_is_sent(url: str) -> None:
    resource = DashboardSinkResource(supabase_url=url, supabase_service_role_key=KEY)
    with pytest.raises(DashboardConfigError) as caught:
        resource.publish({"market_map": []})
    message = str(caught.value)
    assert message.startswith("SUPABASE_URL must be an https:// URL") and "loopback" in message
    assert KEY not in message and "pw" not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://abc.supabase.co",
        "http://127.0.0.1:54321",
        "http://127.3.2.1:54321",
        "http://localhost:54321",
        "http://[::1]:54321",
    ],
)
def test_tls_or_a_loopback_host_is_accepted(url: str) -> None:
    sink, _ = DashboardSinkResource(supabase_url=url, supabase_service_role_key=KEY)._sink(
        logging.getLogger("t")
    )
    assert isinstance(sink, SupabaseSink)


def test_the_key_is_not_in_the_resources_repr() -> None:
    resource = DashboardSinkResource(
        supabase_url="https://abc.supabase.co", supabase_service_role_key=KEY
    )
    assert KEY not in repr(resource) and KEY not in str(resource)
    assert "abc.supabase.co" in repr(resource)


def test_files_sink_repr() -> None:
    assert repr(JsonFileSink(Path("/data/gold/dashboard_stats"))) == (
        "JsonFileSink(folder='/data/gold/dashboard_stats')"
    )

"""Every configured secret is masked in its raw, URL-encoded and base64 forms."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from sec_assets.sec_client.redact import Redactor, configured_secrets
from sec_assets.settings import load_settings

PASSWORD = "p@ss:w0rd/Secret"
PROXY = f"http://collector:{quote(PASSWORD, safe='')}@relay.example:3128"


@pytest.fixture
def redactor() -> Redactor:
    settings = load_settings(
        http_proxy=PROXY,
        pg_dsn="postgresql://sec:pg-Pass-123@db/sec",
        supabase_service_role_key="eyJhbGciOiJIUzI1NiJ9.service-role-key",
    )
    return Redactor.from_settings(settings)


@pytest.mark.parametrize(
    "leak",
    [
        PASSWORD,
        quote(PASSWORD, safe=""),
        quote(PASSWORD, safe="").lower(),
        PROXY,
        "Proxy-Authorization: Basic " + base64.b64encode(f"collector:{PASSWORD}".encode()).decode(),
        base64.b64encode(b"x" + PASSWORD.encode()).decode(),  # inside longer base64, offset 1
        base64.b64encode(b"xy" + PASSWORD.encode() + b"z").decode(),  # offset 2
        "pg-Pass-123",
        "eyJhbGciOiJIUzI1NiJ9.service-role-key",
    ],
)
def test_every_form_of_a_secret_is_masked(redactor: Redactor, leak: str) -> None:
    page = f"<pre>{leak}</pre>"
    masked = redactor.text(page)
    assert "***" in masked and PASSWORD not in masked and "pg-Pass-123" not in masked
    assert redactor.bytes(page.encode()) == masked.encode()
    for form in (base64.b64encode(f"collector:{PASSWORD}".encode()).decode(), leak):
        assert form not in masked


def test_no_secret_configured_masks_nothing() -> None:
    redactor = Redactor.from_settings(load_settings())
    assert not redactor and redactor.text("Basic abc") == "Basic abc"
    assert configured_secrets(load_settings()) == []


def test_the_redactor_does_not_reveal_what_it_masks(redactor: Redactor) -> None:
    assert PASSWORD not in repr(redactor)

"""Every configured secret is masked by value, in every spelling an echo can give it."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import polars as pl
import pytest

from sec_assets.sec_client.exchange import redact_url
from sec_assets.secrets.echo import mask_answer
from sec_assets.secrets.redactor import Redactor
from sec_assets.secrets.sources import configured_secrets
from sec_assets.settings import load_settings
from sec_assets_tests.spellings import SPELLINGS

# Passwords holding the characters each spelling escapes, non-ASCII included.
PASSWORDS = ["Pg#Pass-77", "p@ss:w0rd/Sécret", 'qu"ote\\back sl&sh', "<tag>'ü?%&"]
USER = "collector"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(PASSWORDS)


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("spelling", [*SPELLINGS, "basic-auth"])
def test_every_spelling_is_masked_in_text_bytes_and_polars(
    redactor: Redactor, password: str, spelling: str
) -> None:
    leak = (
        SPELLINGS[spelling](password)
        if spelling != "basic-auth"
        else base64.b64encode(f"{USER}:{password}".encode()).decode()
    )
    page = f"<pre>echo: {leak} end</pre>"
    masked, found = redactor.text_counted(page)
    assert found >= 1 and leak not in masked and masked.startswith("<pre>echo: ")
    long_page = "x" * 2000 + page  # searched by the Rust engine
    assert leak not in redactor.text(long_page)
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        kept = redactor.mask_bytes(page.encode(encoding))
        assert leak.encode(encoding) not in kept and "***".encode(encoding) in kept
    frame = pl.DataFrame({"c": [page, "Maipú"]}).select(redactor.mask_expr("c"))
    assert frame["c"][0] == masked and frame["c"][1] == "Maipú"


def test_a_secret_split_across_two_rows_or_fields_is_masked_and_counted() -> None:
    redactor = Redactor(["hunter2-proxy-Secret"])
    rows = [
        {"NOMBRE_REGION": "Metropolitana", "NOMBRE_COMUNA": "hunter2-pr", "CLIENTES": 1},
        {"NOMBRE_REGION": "Metropolitana", "NOMBRE_COMUNA": "oxy-Secret", "CLIENTES": 2},
        {"NOMBRE_REGION": "hunter2-proxy-", "NOMBRE_COMUNA": "Secret", "CLIENTES": 3},
    ]
    for encoding in ("utf-8", "utf-16"):
        kept = mask_answer(json.dumps(rows).encode(encoding), redactor)
        values = [v for r in json.loads(kept.body.decode(encoding)) for v in r.values()]
        assert values == ["Metropolitana", "***", 1, "Metropolitana", "***", 2, "***", "***", 3]
        assert kept.secret_echoed == 2


@pytest.mark.parametrize("kept_chars", [4, 9, 19])
def test_a_secret_cut_at_the_size_limit_is_masked_from_its_first_four_characters(
    kept_chars: int,
) -> None:
    redactor = Redactor(["hunter2-proxy-Secret"])
    body = b'[{"NOMBRE_COMUNA": "' + b"hunter2-proxy-Secret"[:kept_chars]
    kept = mask_answer(body, redactor, cut=True)
    assert kept.body == b'[{"NOMBRE_COMUNA": "***' and kept.secret_echoed == 1
    assert mask_answer(b'[{"NOMBRE_COMUNA": "hun', redactor, cut=True).secret_echoed == 0


def test_short_secrets_are_not_masked_by_value() -> None:
    """Three characters occur in ordinary text; masking them would damage the data."""
    assert Redactor(["abc"]).text("abc Maipu") == "abc Maipu"
    assert not Redactor(["abc"])


def test_every_configured_secret_is_collected_once_at_settings_load() -> None:
    settings = load_settings(
        http_proxy=f"http://{USER}:{quote('pr/x@y', safe='')}@relay.example:3128",
        pg_dsn="postgresql://sec:Pg#Pass-77@db/sec",
        supabase_service_role_key="eyJhbGciOiJIUzI1NiJ9.service-role-key",
        dagster_pg_url="postgresql://dagster:Dg?Pass-88@db/dagster",
        base_url="http://relay:R3lay#Pass@relay.example/INTONLINEv1/ClientesAfectados",
    )
    secrets = set(configured_secrets(settings))
    assert {"pr/x@y", f"{USER}:pr/x@y", "Pg#Pass-77", "sec:Pg#Pass-77", "Dg?Pass-88"} <= secrets
    assert "eyJhbGciOiJIUzI1NiJ9.service-role-key" in secrets and "R3lay#Pass" in secrets
    shown = redact_url(settings.base_url)  # an unencoded '#' does not end the password
    assert shown == "http://***@relay.example/INTONLINEv1/ClientesAfectados"
    assert settings.redactor is settings.redactor  # built once
    assert "Pg#Pass-77" not in repr(settings.redactor)
    assert configured_secrets(load_settings()) == [] and not load_settings().redactor


def test_a_long_answer_is_masked_fast() -> None:
    """The answer of a storm hour (300 rows) is searched by one compiled pattern in Rust."""
    redactor = Redactor(PASSWORDS)
    rows = [
        {"NOMBRE_REGION": "Biobío", "NOMBRE_COMUNA": f"C{i}", "CLIENTES": i} for i in range(3000)
    ]
    body = json.dumps(rows, ensure_ascii=False).encode()
    assert mask_answer(body, redactor).body == body

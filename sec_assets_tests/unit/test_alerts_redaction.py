"""No secret reaches an alert: the channels' own (SMTP password, webhook URL and its token) and
every secret of the SEC settings (proxy, DSN, Supabase key), raw or encoded, are masked in a
cause before it is kept in a cursor or sent."""

from __future__ import annotations

import base64

from pydantic import SecretStr

from sec_assets.automation.alerts.book import AlertBook, Cause
from sec_assets.automation.alerts.messages import text
from sec_assets.automation.alerts.settings import AlertSettings
from sec_assets.automation.alerts.tick import redactor
from sec_assets.settings import SecSettings

HOOK = "https://hooks.example.org/services/T01/B02/hook-token-x9"
SMTP_PW = "smtp-pw-77"
PROXY_PW = "proxy-pw-55"
PG_PW = "pg-pw-33"


def test_every_known_secret_is_masked_in_an_alert_and_its_cursor() -> None:
    alerts = AlertSettings(
        _env_file=None,  # type: ignore[call-arg]
        smtp_password=SecretStr(SMTP_PW),
        webhook_url=SecretStr(HOOK),
    )
    settings = SecSettings(
        http_proxy=SecretStr(f"http://user:{PROXY_PW}@proxy:3128"),
        pg_dsn=SecretStr(f"postgresql://u:{PG_PW}@db/sec"),
    )
    clean = redactor(alerts, settings)
    basic = base64.b64encode(f"user:{PROXY_PW}".encode()).decode()
    why = (
        f"POST {HOOK} refused; /services/T01/B02/hook-token-x9; login {SMTP_PW}; "
        f"Proxy-Authorization: Basic {basic}; could not connect to postgresql://u:{PG_PW}@db"
    )
    cause = Cause("k", f"title {SMTP_PW}", why, f"do {PG_PW}", 1e9, "o").cleaned(clean.text)
    book = AlertBook()
    notice = book.occur(cause)
    assert notice is not None
    for shown in (text(notice), book.dumps()):
        for secret in (HOOK, "hook-token-x9", SMTP_PW, PROXY_PW, basic, PG_PW):
            assert secret not in shown, secret
    assert "***" in text(notice) and "refused" in text(notice)

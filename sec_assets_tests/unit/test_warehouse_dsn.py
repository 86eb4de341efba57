"""DSN redaction: every spelling of a password becomes ``***``."""

from __future__ import annotations

import pytest

from sec_assets.warehouse.dsn import redact_dsn, redact_text

CASES = [
    ("postgresql://user:pw@host/db", "postgresql://user:***@host/db"),
    (
        "postgres://user:p%40ss@host:5433/db?sslmode=require",
        "postgres://user:***@host:5433/db?sslmode=require",
    ),
    ("postgresql://user@host/db", "postgresql://user@host/db"),  # nothing to hide
    (
        "postgresql://host/db?user=u&password=pw&sslmode=disable",
        "postgresql://host/db?user=u&password=***&sslmode=disable",
    ),
    ("host=h user=u password=pw dbname=d", "host=h user=u password=*** dbname=d"),
    ("host=h password = 'p w\\'x' dbname=d", "host=h password = *** dbname=d"),
    # Spelled as libpq takes it, unencoded: libpq reads '#' and '?' as part of the password.
    ("postgresql://u:Pg#Pass-77@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u:Pg?Pass-77@h/db", "postgresql://u:***@h/db"),
    # '/' and '@' unencoded: libpq misreads the URL; the whole password is masked all the same.
    ("postgresql://u:pa/ss@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u:pa@ss-word@h/db", "postgresql://u:***@h/db"),
    ("host=h password=Pg\\ Pass dbname=d", "host=h password=*** dbname=d"),
]


@pytest.mark.parametrize(("dsn", "redacted"), CASES)
def test_redact_dsn(dsn: str, redacted: str) -> None:
    assert redact_dsn(dsn) == redacted


def test_redact_text_masks_the_password_wherever_a_message_quotes_it() -> None:
    dsn = "postgresql://u:p%40ss-word@host/db"
    message = 'bad "p%40ss-word" / p@ss-word in postgresql://u:p%40ss-word@host/db'
    cleaned = redact_text(message, dsn)
    assert "ss-word" not in cleaned
    assert cleaned.endswith("postgresql://***@host/db")  # user:password is a secret too

"""A Postgres password holding every character a DSN treats specially, through ``dagster asset
materialize`` of a silver asset, as a deployment runs it: whether the run connects (local trust
auth takes any password) or fails, no spelling of the password reaches the run's output, any
byte under ``DAGSTER_HOME`` (the SQLite event logs read whole, compute logs) or ``SEC_DATA_DIR``.
"""

from __future__ import annotations

import gzip
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest

from sec_assets_tests.cli import run_materialize
from sec_assets_tests.spellings import leaks

# '#' and '?' are read by libpq as part of a URL's password; '/' and '@' unencoded end it early.
PASSWORD = "Zq1k#Yw2m?Xe3n:Vr4p%Ut5q&Sy6r'Ru7s\"Qi8t\\Po9u Ñaz0/Ms1v@Lb2w"
PIECES = [p for p in re.split(r"[^\w]", PASSWORD) if len(p) >= 4]  # no part of it either
HOST = "127.0.0.1"
URL_SPELLING = quote(PASSWORD, safe="#?:&'")  # percent-encoded only where a URL needs it
ESCAPED = re.sub(r"([\\' ])", r"\\\1", PASSWORD)  # unquoted, each special char after a '\'


def _keyword(dbname: str, password: str) -> str:
    return f"host={HOST} port=5432 user=postgres dbname={dbname} password={password}"


def _url(dbname: str, password: str) -> str:
    return f"postgresql://postgres:{password}@{HOST}:5432/{dbname}"


CASES = [
    pytest.param(lambda db: _url(db, URL_SPELLING), True, id="url-connects"),
    pytest.param(lambda db: _keyword(db, ESCAPED), True, id="keyword-connects"),
    pytest.param(lambda db: _url(db, PASSWORD), False, id="url-misread-by-libpq-fails"),
    pytest.param(lambda db: _url(db + "_absent", URL_SPELLING), False, id="no-such-db-fails"),
]


def _stored(root: Path) -> list[tuple[Path, bytes]]:
    """Every file's bytes (gzip decompressed), and each SQLite database's rows as text."""
    out = []
    for path in (p for p in root.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        if path.suffix == ".gz":
            blob = gzip.decompress(blob)
        if blob.startswith(b"SQLite format 3"):
            with sqlite3.connect(path) as db:
                blob += "\n".join(db.iterdump()).encode("utf-8", "surrogatepass")
        out.append((path, blob))
    return out


@pytest.mark.parametrize(("dsn_of", "connects"), CASES)
def test_no_spelling_of_the_password_is_kept_or_shown(
    dsn_of, connects: bool, pg_database: str, tmp_path: Path
) -> None:
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        SEC_DATA_DIR=str(data),
        SEC_PG_DSN=dsn_of(pg_database.rsplit("/", 1)[1]),
    )
    proc = run_materialize(["dim_geografia"], env=env, timeout=600)
    output = proc.stdout + proc.stderr
    assert (proc.returncode == 0) is connects, output[-3000:]
    if not connects:
        assert "cannot connect to Postgres at" in output
    secrets = [PASSWORD, URL_SPELLING, ESCAPED]
    found = leaks(output.encode(), secrets) + [p for p in PIECES if p in output]
    for path, blob in _stored(home) + _stored(data):
        found += [f"{path}: {leak}" for leak in leaks(blob, secrets)]
        found += [f"{path}: {p}" for p in PIECES if p.encode() in blob]
    assert not found, found[:10]

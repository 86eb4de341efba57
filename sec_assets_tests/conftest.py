"""Shared fixtures: real fixtures of the SEC service, isolated data dirs and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEC_REAL = Path(__file__).resolve().parent / "fixtures" / "sec_real"


@pytest.fixture
def sec_real_dir() -> Path:
    """Real answers of the SEC service, kept in the project with their provenance (README.md)."""
    assert SEC_REAL.is_dir(), f"real SEC fixtures missing at {SEC_REAL}"
    return SEC_REAL


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's SEC_* environment or writes into ./data."""
    import os

    for name in list(os.environ):
        if name.startswith("SEC_") or name.startswith("SUPABASE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEC_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def sim():
    """A fresh SEC simulator on loopback (real HTTP), current era, seed 7."""
    from sec_sim import SimConfig, run_simulator

    with run_simulator(SimConfig(seed=7)) as handle:
        yield handle


def fast_settings(base_url: str, **over: object):
    """Settings for tests against the local simulator: no politeness delays, tiny backoff."""
    from sec_assets.settings import load_settings

    values: dict[str, object] = {
        "base_url": base_url,
        "max_concurrency": 8,
        "requests_per_second": 2000,
        "max_attempts": 4,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "retry_after_max_s": 0.05,
        # The simulator builds a month's outages on its first request (seconds on a loaded
        # machine): generous, so that load never turns into a failed hour.
        "read_timeout_s": 60,
        "connect_timeout_s": 10,
    }
    values.update(over)
    return load_settings(**values)


PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_throwaway_database():
    """Generator: create ``sec_test_<random>`` on the local server, yield its DSN, drop it.

    Unreachable server: skipped locally, a failure when ``CI=true`` (CI must test Postgres).
    Shared by ``pg_database`` and by wider-scoped fixtures (``yield from``).
    """
    import os
    import uuid

    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        reason = f"Postgres not reachable at 127.0.0.1:5432: {' '.join(str(exc).split())}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the Postgres tests must run)")
        pytest.skip(reason)
    name = f"sec_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database():
    """A throwaway Postgres database for one test: yields its DSN, dropped afterwards."""
    yield from pg_throwaway_database()


@pytest.fixture(params=["file", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
def state_backend(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each client state store in turn (``state_stores.py``): files, Postgres, Redis."""
    from sec_assets_tests.state_stores import state_backend as backend

    yield from backend(request.param, tmp_path / "stores", monkeypatch)

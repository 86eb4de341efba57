"""The ``pg_database`` fixture's contract when Postgres is down: skip locally, fail in CI."""

from __future__ import annotations

import pytest

from sec_assets_tests import conftest

DOWN = "postgresql://postgres@127.0.0.1:1/postgres"


def test_an_unreachable_server_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "PG_ADMIN_DSN", DOWN)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"^Postgres not reachable at 127\.0\.0\.1:5432: "
    ):
        next(conftest.pg_throwaway_database())


def test_an_unreachable_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "PG_ADMIN_DSN", DOWN)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        next(conftest.pg_throwaway_database())

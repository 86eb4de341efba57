"""The public roles never write dashboard_stats, TRUNCATE included, even with privileges granted
again; service_role as Supabase has it (BYPASSRLS) still writes. Real Postgres (issue 11.8)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from sec_assets_tests.integration.test_sync_migration import (
    MIGRATION,
    PUBLIC_ROLES,
    UPSERT,
    acting_as,
    apply_migration,
    ensure_supabase_roles,
)

pytestmark = pytest.mark.postgres

MIGRATIONS = sorted(MIGRATION.parent.glob("*.sql"))
ROW = ("market_map", Jsonb([{"region": "RM", "clientes": 10}]))


def apply(dsn: str, path: Path) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(path.read_text())  # type: ignore[arg-type]  # a trusted SQL file


def supabase_roles(dsn: str) -> None:
    """anon, authenticated, service_role; service_role with BYPASSRLS, as in Supabase."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_supabase_roles(conn)
        conn.execute("ALTER ROLE service_role BYPASSRLS")


def regrant_everything(dsn: str) -> None:
    """What Supabase's default privileges (or a 'grant all' in its dashboard) do."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("GRANT ALL ON public.dashboard_stats TO anon, authenticated, service_role")


def rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM public.dashboard_stats").fetchone()[0]  # type: ignore[index]


@pytest.fixture
def migrated(pg_database: str) -> str:
    supabase_roles(pg_database)
    for path in MIGRATIONS * 2:  # every migration, twice: idempotent
        apply(pg_database, path)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(UPSERT, ROW)
    return pg_database


def test_without_the_fix_a_regranted_anon_truncates_the_table(pg_database: str) -> None:
    """The failure as reported: RLS does not cover TRUNCATE."""
    supabase_roles(pg_database)
    apply_migration(pg_database)  # 001 only
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(UPSERT, ROW)
    regrant_everything(pg_database)
    with acting_as(pg_database, "anon") as conn:
        conn.execute("TRUNCATE public.dashboard_stats")
    assert rows(pg_database) == 0


@pytest.mark.parametrize("regranted", [False, True], ids=["as_migrated", "privileges_regranted"])
@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_the_public_reads_and_never_writes(migrated: str, role: str, regranted: bool) -> None:
    if regranted:
        regrant_everything(migrated)
    with acting_as(migrated, role) as conn:
        assert conn.execute("SELECT id FROM public.dashboard_stats").fetchall() == [("market_map",)]
        for statement, params in [
            (UPSERT, ("time_series", Jsonb([]))),
            ("UPDATE public.dashboard_stats SET data = '[]'", None),
            ("DELETE FROM public.dashboard_stats", None),
            ("TRUNCATE public.dashboard_stats", None),
        ]:
            try:
                cur = conn.execute(statement, params)  # type: ignore[arg-type]
            except psycopg.errors.InsufficientPrivilege:
                continue
            # granted again, RLS leaves UPDATE and DELETE nothing to touch
            assert regranted and cur.rowcount == 0, statement
    assert rows(migrated) == 1


def test_service_role_bypasses_rls_and_writes(migrated: str) -> None:
    with psycopg.connect(migrated) as conn:
        [(bypass,)] = conn.execute(
            "SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'"
        ).fetchall()
    assert bypass is True
    regrant_everything(migrated)
    with acting_as(migrated, "service_role") as conn:
        conn.execute(UPSERT, ("time_series", Jsonb([{"mes": "2024-01"}])))
        conn.execute(UPSERT, ("market_map", Jsonb([])))
        got = conn.execute("SELECT id, data FROM public.dashboard_stats ORDER BY id").fetchall()
    assert got == [("market_map", []), ("time_series", [{"mes": "2024-01"}])]


def test_the_public_roles_hold_no_write_privilege(migrated: str) -> None:
    with psycopg.connect(migrated) as conn:
        grants = conn.execute(
            "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'dashboard_stats' AND grantee IN ('anon', 'authenticated')"
        ).fetchall()
    assert sorted(grants) == [("anon", "SELECT"), ("authenticated", "SELECT")]

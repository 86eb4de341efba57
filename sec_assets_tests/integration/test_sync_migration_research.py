"""Migration 002 on a real Postgres acting as Supabase's roles: research_stats beside
dashboard_stats with the same rules (anon read-only), and the service role may delete stale
rows from both tables."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from sec_assets_tests.integration.test_sync_migration import (
    MIGRATION,
    PUBLIC_ROLES,
    acting_as,
    apply_migration,
    ensure_supabase_roles,
)

pytestmark = pytest.mark.postgres

MIGRATION_002 = MIGRATION.with_name("002_research_stats.sql")


def apply(dsn: str, path: Path) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(path.read_text())  # type: ignore[arg-type]  # a trusted SQL file


@pytest.fixture
def research_db(pg_database: str) -> str:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        ensure_supabase_roles(conn)
    apply_migration(pg_database)
    apply(pg_database, MIGRATION_002)
    apply(pg_database, MIGRATION_002)  # idempotent
    with psycopg.connect(pg_database, autocommit=True) as conn:
        for table, pid in (("dashboard_stats", "market_map"), ("research_stats", "data_coverage")):
            conn.execute(
                f"INSERT INTO public.{table} (id, data) VALUES (%s, %s)", (pid, Jsonb([1]))
            )
    return pg_database


def test_research_stats_has_the_same_rules(research_db: str) -> None:
    with psycopg.connect(research_db) as conn:
        [(rls,)] = conn.execute(
            "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.research_stats'::regclass"
        ).fetchall()
        assert rls is True
        grants = set(
            conn.execute(
                "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = 'research_stats' AND grantee <> 'postgres'"
            ).fetchall()
        )
    assert grants == {
        ("anon", "SELECT"),
        ("authenticated", "SELECT"),
        *(("service_role", p) for p in ("SELECT", "INSERT", "UPDATE", "DELETE")),
    }


@pytest.mark.parametrize("role", PUBLIC_ROLES)
@pytest.mark.parametrize("table", ["dashboard_stats", "research_stats"])
def test_the_public_reads_both_tables_and_writes_neither(
    research_db: str, role: str, table: str
) -> None:
    with acting_as(research_db, role) as conn:
        assert len(conn.execute(f"SELECT id FROM public.{table}").fetchall()) == 1
        for statement in (
            f"INSERT INTO public.{table} (id, data) VALUES ('x', '[]')",
            f"UPDATE public.{table} SET data = '[]'",
            f"DELETE FROM public.{table}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)


@pytest.mark.parametrize("table", ["dashboard_stats", "research_stats"])
def test_the_service_role_deletes_stale_rows(research_db: str, table: str) -> None:
    with acting_as(research_db, "service_role") as conn:
        conn.execute(f"INSERT INTO public.{table} (id, data) VALUES ('stale_id', '[]')")
        gone = conn.execute(
            f"DELETE FROM public.{table} WHERE id <> ALL(%s) RETURNING id",
            (["market_map", "data_coverage"],),
        ).fetchall()
        assert gone == [("stale_id",)]
        assert len(conn.execute(f"SELECT id FROM public.{table}").fetchall()) == 1

"""The dashboard_stats migration on a real Postgres, acting as Supabase's roles.

Supabase's roles are cluster-wide and their names are fixed: they are created if missing
(NOLOGIN) and never dropped, since other tests may use them. Each test gets its own database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from sec_assets.sql_files import supabase_migrations_dir

pytestmark = pytest.mark.postgres

MIGRATION = supabase_migrations_dir() / "001_dashboard_stats.sql"
SUPABASE_ROLES = ("anon", "authenticated", "service_role")
PUBLIC_ROLES = ("anon", "authenticated")
UPSERT = """
    INSERT INTO public.dashboard_stats (id, data, updated_at) VALUES (%s, %s, now())
    ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
"""


def ensure_supabase_roles(conn: psycopg.Connection) -> None:
    for role in SUPABASE_ROLES:
        conn.execute(
            f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role} NOLOGIN;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another test process created it meanwhile
            END $$"""
        )


def apply_migration(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(MIGRATION.read_text())  # type: ignore[arg-type]  # a trusted SQL file


@pytest.fixture
def supabase_db(pg_database: str) -> str:
    """A fresh database with Supabase's roles and the migration applied twice (idempotent)."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        ensure_supabase_roles(conn)
    apply_migration(pg_database)
    apply_migration(pg_database)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(UPSERT, ("market_map", Jsonb([{"region": "RM", "clientes": 10}])))
    return pg_database


@contextmanager
def acting_as(dsn: str, role: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        yield conn


def test_the_table_policies_and_grants_are_as_specified(supabase_db: str) -> None:
    with psycopg.connect(supabase_db) as conn:
        columns = conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_name = 'dashboard_stats' "
            "ORDER BY ordinal_position"
        ).fetchall()
        assert [(c[0], c[1]) for c in columns] == [
            ("id", "text"),
            ("data", "jsonb"),
            ("updated_at", "timestamp with time zone"),
        ]
        assert columns[2][3] == "now()"
        [(rls,)] = conn.execute(
            "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.dashboard_stats'::regclass"
        ).fetchall()
        assert rls is True
        policies = {
            (cmd, tuple(sorted(roles)))
            for cmd, roles in conn.execute(
                "SELECT cmd, roles::text[] FROM pg_policies WHERE tablename = 'dashboard_stats'"
            )
        }
        assert policies == {
            ("SELECT", ("anon", "authenticated", "service_role")),
            ("INSERT", ("service_role",)),
            ("UPDATE", ("service_role",)),
        }
        grants = set(
            conn.execute(
                "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = 'dashboard_stats' AND grantee <> 'postgres'"
            ).fetchall()
        )
        assert grants == {
            ("anon", "SELECT"),
            ("authenticated", "SELECT"),
            ("service_role", "SELECT"),
            ("service_role", "INSERT"),
            ("service_role", "UPDATE"),
        }


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_the_public_reads_but_cannot_write(supabase_db: str, role: str) -> None:
    with acting_as(supabase_db, role) as conn:
        rows = conn.execute("SELECT id, data FROM public.dashboard_stats").fetchall()
        assert rows == [("market_map", [{"region": "RM", "clientes": 10}])]
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(UPSERT, ("time_series", Jsonb([])))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("UPDATE public.dashboard_stats SET data = '[]'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("DELETE FROM public.dashboard_stats")
    with acting_as(supabase_db, "service_role") as conn:
        assert conn.execute("SELECT data FROM public.dashboard_stats").fetchall() == [
            ([{"region": "RM", "clientes": 10}],)
        ]


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_rls_still_blocks_public_writes_if_someone_grants_them(supabase_db: str, role: str) -> None:
    """Supabase's default privileges grant ALL to the public roles; the migration revokes
    them, and even with them back, no policy lets the public write."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute(f"GRANT ALL ON public.dashboard_stats TO {role}")
    with acting_as(supabase_db, role) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(UPSERT, ("time_series", Jsonb([])))
        assert conn.execute("UPDATE public.dashboard_stats SET data = '[]'").rowcount == 0
        assert conn.execute("DELETE FROM public.dashboard_stats").rowcount == 0
    with psycopg.connect(supabase_db) as conn:
        assert conn.execute(
            "SELECT count(*), min(data::text) FROM public.dashboard_stats"
        ).fetchone() == (
            1,
            '[{"region": "RM", "clientes": 10}]',
        )


def test_service_role_upserts_one_row_per_id(supabase_db: str) -> None:
    with acting_as(supabase_db, "service_role") as conn:
        conn.execute(UPSERT, ("time_series", Jsonb([{"mes": "2024-01", "clientes": 1}])))
        [(first,)] = conn.execute(
            "SELECT updated_at FROM public.dashboard_stats WHERE id = 'time_series'"
        ).fetchall()
        time.sleep(0.002)
        conn.execute(UPSERT, ("time_series", Jsonb({"replaced": True})))
        conn.execute(UPSERT, ("market_map", Jsonb([])))
        rows = conn.execute(
            "SELECT id, data, updated_at FROM public.dashboard_stats ORDER BY id"
        ).fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM public.dashboard_stats")
    assert [(r[0], r[1]) for r in rows] == [("market_map", []), ("time_series", {"replaced": True})]
    assert rows[1][2] > first


def test_updated_at_is_set_by_the_server_even_when_only_data_is_merged(supabase_db: str) -> None:
    with acting_as(supabase_db, "service_role") as conn:
        conn.execute("INSERT INTO public.dashboard_stats (id, data) VALUES ('data_coverage', '[]')")
        [(first,)] = conn.execute(
            "SELECT updated_at FROM public.dashboard_stats WHERE id = 'data_coverage'"
        ).fetchall()
        assert first is not None
        time.sleep(0.002)
        conn.execute(
            "INSERT INTO public.dashboard_stats (id, data, updated_at) "
            "VALUES ('data_coverage', '[1]', '2000-01-01T00:00:00Z') "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data"
        )
        [(data, second)] = conn.execute(
            "SELECT data, updated_at FROM public.dashboard_stats WHERE id = 'data_coverage'"
        ).fetchall()
    assert data == [1]
    assert second > first

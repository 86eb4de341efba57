"""Every table of schema public is locked against the public roles (migration 004), on a real
Postgres with Supabase's roles: after `GRANT ALL` on every table, anon and authenticated try
every write and DDL verb on every table the catalog lists (a table added later included), and
each is refused; service_role still writes, and the public still reads the dashboard's table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from sec_assets_tests.integration.test_sync_migration import PUBLIC_ROLES, UPSERT, acting_as
from sec_assets_tests.integration.test_sync_migration_truncate import (
    MIGRATIONS,
    apply,
    supabase_roles,
)

pytestmark = pytest.mark.postgres

LATER = "later_table"  # created after the migrations, as a future table would be


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    key: list[str]

    @property
    def ident(self) -> sql.Composed:
        return sql.SQL("public.{}").format(sql.Identifier(self.name))


def catalog_tables(dsn: str) -> list[Table]:
    """Every table of schema public, from the catalog: no list kept by hand."""
    with psycopg.connect(dsn) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
            )
        ]
        tables = []
        for name in names:
            rel = f"public.{name}"
            columns = [
                r[0]
                for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    (rel,),
                )
            ]
            key = [
                r[0]
                for r in conn.execute(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indrelid = %s::regclass AND i.indisprimary",
                    (rel,),
                )
            ]
            tables.append(Table(name, columns, key))
    return tables


Verb = Callable[[psycopg.Connection, Table, str], None]


def _sql(text: str) -> Verb:
    def run(conn: psycopg.Connection, t: Table, role: str) -> None:
        first = sql.Identifier(t.columns[0])
        conn.execute(sql.SQL(text).format(t=t.ident, c=first, role=sql.Identifier(role)))

    return run


def _copy(conn: psycopg.Connection, t: Table, role: str) -> None:
    with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(t.ident)):
        pass


def _references(conn: psycopg.Connection, t: Table, role: str) -> None:
    """A table of the role's own pointing at ``t``: a foreign key that would block deletes."""
    if not t.key:
        raise psycopg.errors.InsufficientPrivilege("no key to reference")  # nothing to try
    keys = sql.SQL(", ").join(map(sql.Identifier, t.key))
    probe = sql.SQL("{}.probe").format(sql.Identifier(f"scratch_{role}"))
    conn.execute(sql.SQL("CREATE TABLE {} (LIKE {})").format(probe, t.ident))
    conn.execute(
        sql.SQL("ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} ({})").format(
            probe, keys, t.ident, keys
        )
    )


WRITES: dict[str, Verb] = {
    "insert": _sql("INSERT INTO {t} DEFAULT VALUES"),
    "insert_select": _sql("INSERT INTO {t} SELECT * FROM {t}"),
    "update": _sql("UPDATE {t} SET {c} = {c}"),
    "delete": _sql("DELETE FROM {t}"),
    "truncate": _sql("TRUNCATE {t}"),
    "truncate_cascade": _sql("TRUNCATE {t} CASCADE"),
    "merge": _sql(
        "MERGE INTO {t} USING (SELECT 1) s ON false WHEN NOT MATCHED THEN INSERT DEFAULT VALUES"
    ),
    "copy_from": _copy,
}
OTHERS: dict[str, Verb] = {
    "lock_exclusive": _sql("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE"),
    "select_for_update": _sql("SELECT * FROM {t} FOR UPDATE"),
    "alter_add_column": _sql("ALTER TABLE {t} ADD COLUMN probe int"),
    "alter_disable_rls": _sql("ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"),
    "alter_disable_triggers": _sql("ALTER TABLE {t} DISABLE TRIGGER ALL"),
    "alter_rename": _sql("ALTER TABLE {t} RENAME TO probe"),
    "alter_owner": _sql("ALTER TABLE {t} OWNER TO {role}"),
    "drop": _sql("DROP TABLE {t}"),
    "create_trigger": _sql(
        "CREATE TRIGGER probe BEFORE INSERT ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()"
    ),
    "create_index": _sql("CREATE INDEX probe ON {t} ({c})"),
    "create_policy": _sql("CREATE POLICY probe ON {t} FOR ALL TO {role} USING (true)"),
    "comment": _sql("COMMENT ON TABLE {t} IS 'probe'"),
    "reindex": _sql("REINDEX TABLE {t}"),
    "references": _references,
}


def holes(dsn: str, verbs: dict[str, Verb]) -> list[tuple[str, str, str, str]]:
    """(table, role, verb, what happened) for every verb not refused for lack of privilege.
    Each try is rolled back, so one hole does not hide the next."""
    found = []
    for table in catalog_tables(dsn):
        for role in PUBLIC_ROLES:
            with acting_as(dsn, role) as conn:
                for verb, run in verbs.items():
                    try:
                        with conn.transaction(force_rollback=True):
                            run(conn, table, role)
                    except psycopg.errors.InsufficientPrivilege:
                        continue
                    except psycopg.errors.FeatureNotSupported as exc:
                        if "row-level security" in str(exc):  # COPY FROM under RLS: refused
                            continue
                        found.append((table.name, role, verb, type(exc).__name__))
                    except psycopg.Error as exc:  # past the privilege checks: still a hole
                        found.append((table.name, role, verb, type(exc).__name__))
                    else:
                        found.append((table.name, role, verb, "allowed"))
    return found


def grant_all(dsn: str) -> None:
    """What Supabase's default privileges (or a 'grant all' click) do to every table."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated")


def prepare(dsn: str, migrations: list) -> None:
    supabase_roles(dsn)
    for path in migrations:
        apply(dsn, path)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(UPSERT, ("market_map", Jsonb([{"clientes": 10}])))
        conn.execute("INSERT INTO public.research_stats (id, data) VALUES ('data_coverage', '[1]')")
        for role in PUBLIC_ROLES:  # a schema of their own, to try a foreign key from
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS scratch_{role} AUTHORIZATION {role}")


def add_later_table(dsn: str) -> None:
    """A table added after the migrations, under Supabase's default privileges (ALL to the
    public roles on every new table)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated"
        )
        conn.execute(f"CREATE TABLE public.{LATER} (id int PRIMARY KEY, note text)")
        conn.execute(f"INSERT INTO public.{LATER} VALUES (1, 'kept')")


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            t.name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(t.ident)).fetchone()[0]  # type: ignore[index]
            for t in catalog_tables(dsn)
        }


@pytest.fixture
def locked(pg_database: str) -> str:
    prepare(pg_database, MIGRATIONS * 2)  # every migration, twice: idempotent
    add_later_table(pg_database)
    grant_all(pg_database)
    return pg_database


def test_before_the_lock_a_regranted_public_empties_research_stats(pg_database: str) -> None:
    """The failure as measured: 003 covered dashboard_stats only."""
    prepare(pg_database, [m for m in MIGRATIONS if m.name < "004"])
    grant_all(pg_database)
    found = holes(pg_database, {"truncate": WRITES["truncate"]})
    assert ("research_stats", "anon", "truncate", "allowed") in found
    assert ("research_stats", "authenticated", "truncate", "allowed") in found


def test_no_public_role_writes_or_alters_any_table(locked: str) -> None:
    before = counts(locked)
    assert {"dashboard_stats", "research_stats", LATER} <= set(before)
    assert holes(locked, {**WRITES, **OTHERS}) == []
    assert counts(locked) == before and [t.name for t in catalog_tables(locked)] == sorted(before)


def test_without_the_event_trigger_the_table_triggers_still_refuse_every_write(
    pg_database: str,
) -> None:
    """Where no event trigger may be created: privileges granted again stay granted, and the
    statement-level triggers alone refuse every write, TRUNCATE included."""
    prepare(pg_database, MIGRATIONS)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("ALTER EVENT TRIGGER lock_public_tables DISABLE")
    grant_all(pg_database)
    with psycopg.connect(pg_database) as conn:
        [(grants,)] = conn.execute(
            "SELECT count(*) FROM information_schema.role_table_grants "
            "WHERE grantee = 'anon' AND privilege_type = 'TRUNCATE'"
        ).fetchall()
    assert grants >= 2  # the grant held: the triggers are what refuses
    before = counts(pg_database)
    assert holes(pg_database, WRITES) == []
    assert counts(pg_database) == before


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_the_public_still_reads_the_payload_tables(locked: str, role: str) -> None:
    with acting_as(locked, role) as conn:
        assert conn.execute("SELECT id FROM public.dashboard_stats").fetchall() == [("market_map",)]
        assert conn.execute("SELECT id FROM public.research_stats").fetchall() == [
            ("data_coverage",)
        ]


def test_service_role_still_writes_and_prunes(locked: str) -> None:
    with acting_as(locked, "service_role") as conn:
        for table in ("dashboard_stats", "research_stats"):
            ident = sql.Identifier(table)
            conn.execute(
                sql.SQL(
                    "INSERT INTO public.{} (id, data) VALUES ('time_series', '[]') "
                    "ON CONFLICT (id) DO UPDATE SET data = excluded.data"
                ).format(ident)
            )
            conn.execute(
                sql.SQL("UPDATE public.{} SET data = '[2]' WHERE id = 'time_series'").format(ident)
            )
            conn.execute(sql.SQL("DELETE FROM public.{} WHERE id <> 'time_series'").format(ident))
            got = conn.execute(sql.SQL("SELECT id, data FROM public.{}").format(ident)).fetchall()
            assert got == [("time_series", [2])]

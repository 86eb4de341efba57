-- Every table of schema public, today's and tomorrow's: the public roles (anon, authenticated)
-- at most read it; they never write it, empty it, lock it, or change it.
--
-- Row-level security stops INSERT, UPDATE and DELETE that no policy allows, but not TRUNCATE,
-- LOCK TABLE, CREATE TRIGGER or a foreign key pointing at the table (REFERENCES), and a
-- `grant all` (Supabase's default privileges on new tables, or a click in its dashboard) hands
-- the public roles exactly those. Three locks, each holding without the others:
--
-- 1. public.lock_public_table(t) takes from PUBLIC, anon and authenticated every privilege
--    on t but SELECT (insert, update, delete, truncate, references, trigger; maintain on
--    Postgres 17+), enables row-level security (a table without a select policy reads as
--    empty to them), and adds the statement-level trigger refuse_public_writes:
--    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE by anon or authenticated raises
--    insufficient_privilege whatever is granted (through a view or COPY too).
-- 2. It is applied to every table of schema public now.
-- 3. The event trigger lock_public_tables applies it again after every CREATE TABLE
--    (CREATE TABLE AS, SELECT INTO) in schema public and after every GRANT, and refuses any
--    DDL on an object of schema public by anon or authenticated (CREATE TRIGGER, ALTER,
--    CREATE INDEX, COMMENT, CREATE POLICY …). Creating an event trigger needs a superuser
--    (on Supabase, the postgres role); where that is not allowed, a NOTICE says so and locks
--    1–2 still hold for the tables that exist: run this file again after creating a table.
--
-- service_role keeps what 001/002 granted it (and bypasses RLS in Supabase). Reads stay as
-- granted: anon and authenticated read dashboard_stats and research_stats.
--
-- Idempotent; run after 001–003 (`psql -1 -f`, or as a Supabase migration).

create or replace function public.refuse_public_writes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if current_user in ('anon', 'authenticated') or session_user in ('anon', 'authenticated') then
        raise exception 'permission denied: % may not % %.%',
            current_user, lower(tg_op), tg_table_schema, tg_table_name
            using errcode = 'insufficient_privilege';
    end if;
    return null;
end;
$$;

create or replace function public.lock_public_table(target regclass)
returns void
language plpgsql
set search_path = ''
as $$
declare
    writes text := 'insert, update, delete, truncate, references, trigger';
begin
    if current_setting('server_version_num')::int >= 170000 then
        writes := writes || ', maintain';
    end if;
    execute format('revoke %s on table %s from public, anon, authenticated', writes, target);
    if not (select relrowsecurity from pg_catalog.pg_class where oid = target) then
        execute format('alter table %s enable row level security', target);
    end if;
    if not exists (
        select from pg_catalog.pg_trigger
        where tgrelid = target and tgname = 'refuse_public_writes'
    ) then
        execute format(
            'create trigger refuse_public_writes '
            'before insert or update or delete or truncate on %s '
            'for each statement execute function public.refuse_public_writes()',
            target
        );
    end if;
end;
$$;

create or replace function public.lock_every_public_table()
returns void
language plpgsql
set search_path = ''
as $$
declare
    t regclass;
begin
    for t in
        select c.oid::regclass
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
        order by c.oid
    loop
        perform public.lock_public_table(t);
    end loop;
end;
$$;

revoke all on function public.refuse_public_writes() from public, anon, authenticated;
revoke all on function public.lock_public_table(regclass) from public, anon, authenticated;
revoke all on function public.lock_every_public_table() from public, anon, authenticated;

select public.lock_every_public_table();

-- The event trigger: new tables of schema public are locked as they are created, a GRANT
-- cannot hand the public roles a write, and the public roles change nothing in schema public.
create or replace function public.lock_public_tables_on_ddl()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
    cmd record;
begin
    for cmd in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
        if (current_user in ('anon', 'authenticated') or session_user in ('anon', 'authenticated'))
            and cmd.schema_name = 'public' then
            raise exception 'permission denied: % may not change % in schema public',
                current_user, coalesce(cmd.object_identity, lower(cmd.command_tag))
                using errcode = 'insufficient_privilege';
        end if;
    end loop;
    if tg_tag = 'GRANT' then
        perform public.lock_every_public_table();
        return;
    end if;
    if tg_tag not in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') then
        return;  -- the locks' own ALTER TABLE and CREATE TRIGGER end here
    end if;
    for cmd in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
        if cmd.object_type = 'table' and cmd.schema_name = 'public' then
            perform public.lock_public_table(cmd.objid::regclass);
        end if;
    end loop;
end;
$$;

revoke all on function public.lock_public_tables_on_ddl() from public, anon, authenticated;

do $$
begin
    drop event trigger if exists lock_public_tables;
    create event trigger lock_public_tables on ddl_command_end
        execute function public.lock_public_tables_on_ddl();
exception when insufficient_privilege then
    raise notice 'lock_public_tables: no event trigger (%); tables created later are not '
        'locked until this file runs again', sqlerrm;
end;
$$;

-- dashboard_stats: the payloads the public dashboard reads, one row per payload id.
--
-- Written only by the sync bridge (sec_assets.gold.sync) with the service-role key, as a
-- PostgREST upsert (POST /rest/v1/dashboard_stats?on_conflict=id,
-- Prefer: resolution=merge-duplicates). Read by anyone with the anon key.
--
-- Idempotent: every statement can run again. Run it in the Supabase SQL editor, as a
-- migration (`supabase migration new dashboard_stats`), or `psql -1 -f` (one transaction).
-- It expects Supabase's roles anon, authenticated and service_role. In Supabase
-- service_role bypasses row-level security; the explicit grants and policies below make the
-- same rules hold on plain Postgres too.

create table if not exists public.dashboard_stats (
    id         text        primary key check (id <> ''),
    data       jsonb       not null,
    updated_at timestamptz not null default now()
);

comment on table public.dashboard_stats is
    'Pre-computed dashboard payloads (sec_assets gold layer); public read, service_role write.';

-- updated_at is when the row was last written, whatever the client sends: an upsert that
-- only merges `data` still moves it.
create or replace function public.dashboard_stats_touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

drop trigger if exists dashboard_stats_touch_updated_at on public.dashboard_stats;
create trigger dashboard_stats_touch_updated_at
    before insert or update on public.dashboard_stats
    for each row execute function public.dashboard_stats_touch_updated_at();

-- Privileges: Supabase's default privileges grant ALL on new tables to anon and
-- authenticated; take that back and grant exactly what each role needs.
revoke all on table public.dashboard_stats from public, anon, authenticated, service_role;
grant select on table public.dashboard_stats to anon, authenticated;
grant select, insert, update on table public.dashboard_stats to service_role;

revoke all on function public.dashboard_stats_touch_updated_at() from public, anon, authenticated;

-- Row-level security: the public may read every row; no policy lets it write.
alter table public.dashboard_stats enable row level security;

drop policy if exists dashboard_stats_public_read on public.dashboard_stats;
create policy dashboard_stats_public_read on public.dashboard_stats
    for select to anon, authenticated, service_role
    using (true);

drop policy if exists dashboard_stats_service_insert on public.dashboard_stats;
create policy dashboard_stats_service_insert on public.dashboard_stats
    for insert to service_role
    with check (true);

drop policy if exists dashboard_stats_service_update on public.dashboard_stats;
create policy dashboard_stats_service_update on public.dashboard_stats
    for update to service_role
    using (true)
    with check (true);

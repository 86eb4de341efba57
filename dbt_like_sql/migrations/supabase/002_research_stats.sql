-- research_stats: the research payloads (reliability_indices, data_coverage, and any richer
-- figure the dashboard does not read), one row per payload id, beside dashboard_stats. The
-- dashboard reads dashboard_stats with select('*') and warns on every id it does not know, so
-- research payloads live in their own table; researchers read them with the anon key:
--     GET /rest/v1/research_stats?id=eq.reliability_indices
--
-- Also lets the sync bridge delete rows of ids it no longer publishes (DELETE
-- /rest/v1/<table>?id=not.in.(...)), so neither table keeps a stale figure. The public
-- (anon, authenticated) stays read-only on both tables.
--
-- Apply after 001_dashboard_stats.sql. Idempotent: every statement can run again.

create table if not exists public.research_stats (
    id         text        primary key check (id <> ''),
    data       jsonb       not null,
    updated_at timestamptz not null default now()
);

comment on table public.research_stats is
    'Research payloads (sec_assets gold layer) the dashboard does not read; public read, '
    'service_role write.';

drop trigger if exists research_stats_touch_updated_at on public.research_stats;
create trigger research_stats_touch_updated_at
    before insert or update on public.research_stats
    for each row execute function public.dashboard_stats_touch_updated_at();

revoke all on table public.research_stats from public, anon, authenticated, service_role;
grant select on table public.research_stats to anon, authenticated;
grant select, insert, update, delete on table public.research_stats to service_role;

alter table public.research_stats enable row level security;

drop policy if exists research_stats_public_read on public.research_stats;
create policy research_stats_public_read on public.research_stats
    for select to anon, authenticated, service_role
    using (true);

drop policy if exists research_stats_service_insert on public.research_stats;
create policy research_stats_service_insert on public.research_stats
    for insert to service_role
    with check (true);

drop policy if exists research_stats_service_update on public.research_stats;
create policy research_stats_service_update on public.research_stats
    for update to service_role
    using (true)
    with check (true);

drop policy if exists research_stats_service_delete on public.research_stats;
create policy research_stats_service_delete on public.research_stats
    for delete to service_role
    using (true);

-- dashboard_stats: the service role may now delete stale rows; the public still only reads.
grant delete on table public.dashboard_stats to service_role;

drop policy if exists dashboard_stats_service_delete on public.dashboard_stats;
create policy dashboard_stats_service_delete on public.dashboard_stats
    for delete to service_role
    using (true);

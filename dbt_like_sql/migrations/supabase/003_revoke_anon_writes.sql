-- dashboard_stats: the public roles never write, even if someone grants them privileges again.
--
-- Row-level security stops INSERT, UPDATE and DELETE without a policy, but not TRUNCATE (RLS
-- does not apply to it): with ALL re-granted to anon (as Supabase's default privileges do for
-- new tables, or a dashboard "grant all" click), `truncate dashboard_stats` as anon emptied the
-- table. So: revoke every write privilege from anon and authenticated explicitly, and refuse
-- TRUNCATE by them in a trigger, which holds whatever is granted later. service_role (which
-- bypasses RLS in Supabase) keeps select, insert and update, as granted by 001.
--
-- Idempotent; run after 001_dashboard_stats.sql (`psql -1 -f`, or as a Supabase migration).

revoke insert, update, delete, truncate, references, trigger
    on table public.dashboard_stats from public, anon, authenticated;

create or replace function public.dashboard_stats_refuse_public_truncate()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if current_user in ('anon', 'authenticated') or session_user in ('anon', 'authenticated') then
        raise exception 'permission denied: % may not truncate public.dashboard_stats', current_user
            using errcode = 'insufficient_privilege';
    end if;
    return null;
end;
$$;

revoke all on function public.dashboard_stats_refuse_public_truncate()
    from public, anon, authenticated;

drop trigger if exists dashboard_stats_refuse_public_truncate on public.dashboard_stats;
create trigger dashboard_stats_refuse_public_truncate
    before truncate on public.dashboard_stats
    for each statement execute function public.dashboard_stats_refuse_public_truncate();

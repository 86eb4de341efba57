"""recent_30d is a research payload: its asset writes the episodes of the last 30 days with
their window (from, to, as of), the publishing asset puts it in research_stats (JSON files
here, on both engines), and the Supabase side (migrations 001 + 002 on a real Postgres) takes
the row from the service role and lets the public read it, window included."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import orjson
import psycopg
import pytest
from psycopg.types.json import Jsonb

from sec_assets.gold.assets import dashboard_stats, payload_assets, recent_30d
from sec_assets.resources import local_resources
from sec_assets.warehouse import DuckDBWarehouse, PostgresWarehouse
from sec_assets_tests.integration.test_gold_payloads import crafted_silver
from sec_assets_tests.integration.test_sync_migration_research import (  # noqa: F401
    acting_as,
    research_db,
)
from sec_assets_tests.integration.test_warehouse_support import ENGINES

pytestmark = pytest.mark.timeout(300)
FETCHED = "2024-08-02T18:30:00+00:00"


def published(data_dir: Path, dsn: str | None) -> dict:
    """The crafted month of test_gold_payloads in the warehouse (``dsn``, else DuckDB in
    ``data_dir``), then every gold payload and the publication, as the gold refresh runs them:
    the research_stats row of recent_30d as the file sink wrote it."""
    wh = PostgresWarehouse(dsn) if dsn else DuckDBWarehouse(data_dir / "warehouse.duckdb")
    crafted_silver(wh)
    wh.execute(f"UPDATE silver.snapshot_ledger SET fetched_at = '{FETCHED}'")
    result = dg.materialize(
        [*payload_assets, recent_30d, dashboard_stats],
        resources=local_resources(data_dir, pg_dsn=dsn),
    )
    assert result.success
    return orjson.loads((data_dir / "gold/research_stats/recent_30d.json").read_bytes())


@pytest.mark.parametrize("engine", ENGINES)
def test_recent_30d_is_published_with_its_window(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    dsn = request.getfixturevalue("pg_database") if engine == "postgres" else None
    row = published(data_dir, dsn)
    assert row["id"] == "recent_30d"
    rows = row["data"]
    assert [r["evento_id"] for r in rows] == ["e1", "e2", "e3"]
    # The newest hour of the checked ledger is 2024-08-02 13:00 (local): the window is the 30
    # days before it; as of the newest fetch behind it.
    assert {(r["window_from"], r["window_to"]) for r in rows} == {
        ("2024-07-03T13:00:00", "2024-08-02T13:00:00")
    }
    assert {r["as_of"] for r in rows} == {"2024-08-02T18:30:00Z"}
    assert rows[0]["nombre_region"] == "Metropolitana" and rows[0]["peak_customers"] == 100
    assert not (data_dir / "gold/dashboard_stats/recent_30d.json").exists()  # not the dashboard's


@pytest.mark.postgres
def test_the_supabase_side_serves_the_row_to_the_public(
    research_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    row = published(tmp_path / "data", None)
    with acting_as(research_db, "service_role") as conn:
        conn.execute(
            "INSERT INTO public.research_stats (id, data, updated_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (row["id"], Jsonb(row["data"]), row["updated_at"]),
        )
    with acting_as(research_db, "anon") as conn:
        [(data,)] = conn.execute(
            "SELECT data FROM public.research_stats WHERE id = 'recent_30d'"
        ).fetchall()
        [(window,)] = conn.execute(
            "SELECT DISTINCT e->>'window_to' FROM public.research_stats, "
            "jsonb_array_elements(data) e WHERE id = 'recent_30d'"
        ).fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM public.research_stats WHERE id = 'recent_30d'")
    assert data == row["data"] and len(data) == 3
    assert window == "2024-08-02T13:00:00"

"""Loading the code location imports Dagster and the code's own modules, not the libraries its
runs use: every run, sensor tick and code server loads the definitions, and Polars, the
engines, Arrow, the HTTP clients and the plotting stack are imported by the functions that
use them (docs/benchmarks.md, run overhead)."""

from __future__ import annotations

import json
import subprocess
import sys

#: Imported where they are used, never by ``import sec_assets.definitions``.
HEAVY = (
    "matplotlib",
    "numpy",
    "polars",
    "duckdb",
    "pyarrow",
    "psycopg",
    "pgpq",
    "httpx",
    "supabase",
    "postgrest",
    "ijson",
    "aiolimiter",
    "dagster_celery",
    "dagster_postgres",
    "dagster_webserver",
    "obstore",
)


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"import json, sys; {code}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_definitions_load_no_heavy_library() -> None:
    assert _loaded_after("import sec_assets.definitions as d; d.defs.get_repository_def()") == []


def test_the_probe_sees_a_heavy_import() -> None:
    # The same probe after a function that needs Polars: the library is there.
    code = "from sec_assets.masterdata import regions; regions()"
    assert _loaded_after(code) == ["polars"]

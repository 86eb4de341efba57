"""The warehouse package loads its names on first use: each exported name resolves, and code
that needs no engine (settings, their redactor, the seed importer) runs without DuckDB, Polars
or psycopg in the process (the importer's memory bound counts on it)."""

from __future__ import annotations

import subprocess
import sys

import sec_assets.warehouse as warehouse


def test_every_exported_name_resolves() -> None:
    assert sorted(warehouse.__all__) == sorted(warehouse._HOME)
    for name in warehouse.__all__:
        assert getattr(warehouse, name).__name__ == name


def test_the_importer_and_settings_load_no_engine() -> None:
    code = (
        "import sys; from sec_assets.bronze.importer import main; "
        "from sec_assets.settings import load_settings; load_settings(); "
        "print(sorted(m for m in ('polars', 'duckdb', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]

"""Where the project's SQL files are: the ``dbt_like_sql`` package at the top level of the
repository, shipped in the wheel as package data. Located through ``importlib.resources``, so
a checkout (editable install) and an installed wheel find the same files without relying on
the repository's layout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sql_root() -> Path:
    """The directory of ``dbt_like_sql`` (installed as files, never from a zip)."""
    root = files("dbt_like_sql")
    if not isinstance(root, Path):
        raise RuntimeError(f"dbt_like_sql must be installed as files on disk, found {root!r}")
    return root


def contracts_dir() -> Path:
    """The silver DDL: one ``CREATE TABLE`` per file and table, for both engines (each engine's
    storage is a ``-- storage <engine>:`` comment in the same file)."""
    return sql_root() / "contracts"


def models_dir() -> Path:
    """The gold models: one query per file (a SELECT, or the ``recent_30d`` view), named like
    the model."""
    return sql_root() / "models"


def supabase_migrations_dir() -> Path:
    """The Supabase migrations (dashboard and research tables), applied in file-name order."""
    return sql_root() / "migrations" / "supabase"


def silver_migrations_dir() -> Path:
    """Renames that bring an older silver warehouse to the current contracts."""
    return sql_root() / "migrations" / "silver"

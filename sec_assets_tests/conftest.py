"""Shared fixtures: real fixtures of the SEC service, isolated data dirs and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEC_REAL = REPO.parent / "shared" / "fixtures" / "sec_real"


@pytest.fixture
def sec_real_dir() -> Path:
    if not SEC_REAL.is_dir():
        pytest.skip(f"real SEC fixtures not found at {SEC_REAL} (shared/ sits beside the repo)")
    return SEC_REAL


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's SEC_* environment or writes into ./data."""
    import os

    for name in list(os.environ):
        if name.startswith("SEC_") or name.startswith("SUPABASE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEC_DATA_DIR", str(tmp_path / "data"))

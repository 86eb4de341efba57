"""requirements.lock is current with pyproject.toml, pinned and hashed (make install uses it)."""

from __future__ import annotations

import re
from pathlib import Path

from sec_tools import lockfile


def test_lock_is_the_resolution_of_the_current_requirements() -> None:
    assert lockfile.stamped_digest() == lockfile.requirements_digest(), (
        "pyproject.toml's requirements changed: run `make lock` and commit requirements.lock"
    )


def test_a_changed_requirement_changes_the_digest(tmp_path: Path) -> None:
    text = (lockfile.ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed = tmp_path / "pyproject.toml"
    changed.write_text(text.replace('"polars>=', '"polars>=0.0.1,', 1), encoding="utf-8")
    assert lockfile.requirements_digest(changed) != lockfile.requirements_digest()


def test_every_locked_package_is_pinned_with_hashes() -> None:
    text = lockfile.LOCK.read_text(encoding="utf-8")
    entries = re.findall(
        r"^([A-Za-z0-9][\w.\-\[\]]*)(==\S+)?\s*\\\n((?:\s+--hash=sha256:\w+.*\n)+)", text, re.M
    )
    names = [name for name, _, _ in entries]
    assert {"dagster", "polars", "duckdb", "supabase", "pydantic", "pytest"} <= set(names)
    assert all(pin for _, pin, _ in entries), "every package pinned with =="
    package_lines = [ln for ln in text.splitlines() if re.match(r"^[A-Za-z0-9]", ln)]
    assert len(package_lines) == len(entries), "every package carries its hashes"


def test_stamp_then_check_round_trip(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# requirements-sha256: stale\nsix==1.16.0 \\\n    --hash=sha256:ab\n")
    lockfile.stamp(lock)
    assert lockfile.stamped_digest(lock) == lockfile.requirements_digest()
    assert lock.read_text().count("requirements-sha256") == 1
    assert "six==1.16.0" in lock.read_text()

"""Every environment variable is read by the settings module: the three bronze once read
directly keep their names and defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from sec_assets.settings import load_settings


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("SEC_ARCHIVE_AFTER_MONTHS", None, "archive_after_months", 24),
        ("SEC_ARCHIVE_AFTER_MONTHS", "", "archive_after_months", 24),  # empty: the default
        ("SEC_ARCHIVE_AFTER_MONTHS", "6", "archive_after_months", 6),
        ("SEC_SEED_ARCHIVE_DIR", None, "seed_archive_dir", None),
        ("SEC_SEED_ARCHIVE_DIR", "/seed", "seed_archive_dir", Path("/seed")),
    ],
)
def test_bronze_variables_come_through_settings(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None, field: str, expected: object
) -> None:
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected


def test_the_importer_cli_defaults_to_the_settings_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SEC_DATA_DIR", str(tmp_path))
    assert load_settings(data_dir=None).data_dir == tmp_path  # what the CLI reads
    monkeypatch.delenv("SEC_DATA_DIR")
    assert load_settings(data_dir=None).data_dir == Path("./data")

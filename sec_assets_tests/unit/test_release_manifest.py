"""The release manifest on a hand-made bundle: the version is the hash of the content (not of
the build), verify names what was altered, removed, added or re-versioned; --months ranges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sec_assets.month import Month
from sec_assets.release.bundle import parse_months
from sec_assets.release.manifest import (
    MANIFEST,
    code_version,
    file_entry,
    manifest,
    manifest_bytes,
    verify,
    version_of,
)


def bundle(root: Path) -> dict:
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.csv").write_text("x\n1\n")
    (root / "codebook.md").write_text("# Codebook\n")
    content = {"months": [{"month": "2024-08", "included": True}], "files": []}
    content["files"] = [file_entry(root, "a/x.csv", 1), file_entry(root, "codebook.md")]
    doc = manifest(content, {"package_version": "0.1.0", "git_commit": "abc"})
    (root / MANIFEST).write_bytes(manifest_bytes(doc))
    return doc


def test_the_version_is_the_contents_hash_not_the_builds(tmp_path: Path) -> None:
    doc = bundle(tmp_path / "one")
    other = manifest(doc["content"], {"package_version": "9", "git_commit": "def"})
    assert other["version"] == doc["version"] == version_of(json.loads(json.dumps(doc["content"])))
    changed = {**doc["content"], "months": [{"month": "2024-08", "included": False}]}
    assert version_of(changed) != doc["version"] and len(doc["version"]) == 16
    assert verify(tmp_path / "one").ok


def test_verify_names_every_problem(tmp_path: Path) -> None:
    root = tmp_path / "b"
    bundle(root)
    (root / "a" / "x.csv").write_text("x\n2\n")
    (root / "codebook.md").unlink()
    (root / "notes.txt").write_text("added")
    found = verify(root)
    assert not found.ok
    assert found.problems == [
        "a/x.csv: sha256 differs from the manifest (altered)",
        "codebook.md: missing",
        "notes.txt: not listed in the manifest",
    ]
    assert "3 problem(s)" in found.report()


def test_a_manifest_whose_version_is_not_its_contents_fails(tmp_path: Path) -> None:
    doc = bundle(tmp_path)
    doc["content"]["months"][0]["included"] = False  # edited by hand, version kept
    (tmp_path / MANIFEST).write_bytes(manifest_bytes(doc))
    assert verify(tmp_path).problems == [
        f"{MANIFEST}: version {doc['version']} is not its content's"
    ]
    (tmp_path / MANIFEST).write_text("{")
    assert "no readable manifest" in verify(tmp_path).report()


def test_code_version_names_the_package_and_commit() -> None:
    found = code_version()
    assert set(found) == {"package_version", "git_commit"}
    assert found["git_commit"] == "unknown" or len(found["git_commit"].split("+")[0]) == 40


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024-01..2024-12", Month(2024, 1), Month(2024, 12)),
        ("2024-08", Month(2024, 8), Month(2024, 8)),
    ],
)
def test_month_ranges(text: str, first: Month, last: Month) -> None:
    assert parse_months(text) == (first, last)


def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        parse_months("2024-12..2024-01")


def test_a_folder_that_is_not_a_release_is_never_replaced(tmp_path: Path) -> None:
    from sec_assets.release.bundle import ReleaseError, _replaceable

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")
    with pytest.raises(ReleaseError, match="not a release bundle"):
        _replaceable(tmp_path / "mine")
    bundle(tmp_path / "earlier")
    (tmp_path / "empty").mkdir()
    for fine in ("earlier", "empty", "new"):
        _replaceable(tmp_path / fine)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"

"""A release bundle's manifest: what it holds (``content``: the window, the months with their
cadence and check verdicts, every file with its sha256, size and rows) and what built it
(``build``: the package version and git commit). The ``version`` is the first
:data:`VERSION_HEX` hex digits of the sha256 of ``content`` in canonical JSON: the same data
gives the same version, whatever code or machine built it; nothing in the bundle holds a time
of building. :func:`verify` re-hashes a bundle against its manifest."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

NAME = "sec-outages-chile"
MANIFEST = "manifest.json"
VERSION_HEX = 16
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def canonical(doc: Any) -> bytes:
    """``doc`` as canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def version_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()[:VERSION_HEX]


def code_version() -> dict[str, str]:
    """The package version and the git commit of the code (``+dirty`` with uncommitted
    changes to tracked files); ``unknown`` outside a git checkout."""
    try:
        package = metadata.version("sec_assets")
    except metadata.PackageNotFoundError:
        package = "unknown"
    root = Path(__file__).resolve().parents[2]
    try:
        # The checkout this code runs from, not a repository around an installed package.
        if Path(_git(root, "rev-parse", "--show-toplevel")).resolve() != root:
            raise FileNotFoundError(root)
        commit = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "unknown", ""
    return {"package_version": package, "git_commit": commit + ("+dirty" if dirty else "")}


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.strip()


def file_entry(root: Path, rel: str, rows: int | None = None) -> dict[str, Any]:
    path = root / rel
    return {"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size, "rows": rows}


def manifest(content: dict[str, Any], build: dict[str, str]) -> dict[str, Any]:
    return {"name": NAME, "version": version_of(content), "content": content, "build": build}


def manifest_bytes(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


@dataclass
class Verification:
    """What :func:`verify` found: the bundle's version, the files checked and every
    problem (a file altered, missing or not listed; a version that is not its content's)."""

    version: str | None
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        head = f"{NAME} {self.version}: {self.checked} files checked"
        if self.ok:
            return f"{head}, every sha256 and the version match"
        return "\n".join([f"{head}, {len(self.problems)} problem(s):", *self.problems])


def verify(root: Path) -> Verification:
    """Re-hash every file of the bundle at ``root`` against its manifest."""
    path = root / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        content, version = doc["content"], doc["version"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Verification(None, problems=[f"{path}: no readable manifest ({exc})"])
    out = Verification(version)
    if version_of(content) != version:
        out.problems.append(f"{MANIFEST}: version {version} is not its content's")
    listed = {f["path"]: f for f in content.get("files", [])}
    for rel, entry in sorted(listed.items()):
        file = root / rel
        if not file.is_file():
            out.problems.append(f"{rel}: missing")
            continue
        out.checked += 1
        if sha256_file(file) != entry["sha256"] or file.stat().st_size != entry["bytes"]:
            out.problems.append(f"{rel}: sha256 differs from the manifest (altered)")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    for rel in sorted(present - set(listed) - {MANIFEST}):
        out.problems.append(f"{rel}: not listed in the manifest")
    return out

"""Is ``requirements.lock`` the resolution of ``pyproject.toml``'s current requirements?

The lock's first line records a digest of the project's declared requirements (its
dependencies and optional dependencies). ``--stamp`` writes it after ``uv pip compile``;
``--check`` (and a unit test) fail when the requirements changed and the lock did not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PREFIX = "# requirements-sha256: "


def requirements_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    declared = {
        "dependencies": sorted(project.get("dependencies", [])),
        "optional": {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()},
        "python": project.get("requires-python"),
    }
    return hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()


def stamped_digest(lock: Path = LOCK) -> str | None:
    first = lock.read_text(encoding="utf-8").splitlines()[:1] if lock.exists() else []
    return first[0].removeprefix(PREFIX) if first and first[0].startswith(PREFIX) else None


def stamp(lock: Path = LOCK) -> None:
    body = [ln for ln in lock.read_text(encoding="utf-8").splitlines() if not ln.startswith(PREFIX)]
    lock.write_text("\n".join([PREFIX + requirements_digest(), *body]) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["stamp", "check"])
    args = parser.parse_args(argv)
    if args.action == "stamp":
        stamp()
        return 0
    if stamped_digest() != requirements_digest():
        print(
            "requirements.lock is out of date with pyproject.toml: run `make lock`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

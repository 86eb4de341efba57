"""The code location holds the pipeline only: the simulator (``sec_sim``) and the drivers
(``sec_tools``: demo, checks, bench, accuracy) use it, never the other way round."""

import ast
from pathlib import Path

import sec_assets

PACKAGE = Path(sec_assets.__file__).parent
TOOLS = ("sec_sim", "sec_tools")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_code_location_never_imports_the_tools() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in TOOLS
    }
    assert not offenders, sorted(offenders)


def test_tools_are_not_inside_the_code_location() -> None:
    for gone in ("simulator", "bench", "demo.py", "checkrun.py", "silver/accuracy.py"):
        assert not (PACKAGE / gone).exists(), gone

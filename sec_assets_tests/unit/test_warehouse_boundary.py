"""Every engine difference lives in ``sec_assets/warehouse/``: the rest of the code location
(silver, gold, automation) talks to the ``Warehouse`` interface and never imports an engine;
only :func:`~sec_assets.warehouse.connect.connect_warehouse` chooses one."""

import ast
from pathlib import Path

import sec_assets

PACKAGE = Path(sec_assets.__file__).parent
WAREHOUSE = PACKAGE / "warehouse"
ENGINE_MODULES = ("sec_assets.warehouse.duckdb_engine", "sec_assets.warehouse.postgres_engine")
ENGINE_CLASSES = {"DuckDBWarehouse", "PostgresWarehouse"}
DRIVERS = ("duckdb", "psycopg")


def _engine_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(ENGINE_MODULES))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(ENGINE_MODULES):
                found.add(node.module)
            elif node.module == "sec_assets.warehouse":
                found.update(a.name for a in node.names if a.name in ENGINE_CLASSES)
                found.update(
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in ENGINE_MODULES
                )
        elif isinstance(node, ast.Name) and node.id in ENGINE_CLASSES:
            found.add(node.id)
    return found


def test_only_the_warehouse_package_knows_the_engines() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        if WAREHOUSE not in path.parents
        for name in _engine_imports(path)
    }
    assert not offenders, sorted(offenders)


def _driver_imports(path: Path) -> set[str]:
    """The database drivers ``path`` imports (``psycopg_pool`` and submodules included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return {name for name in names if name.split(".")[0].startswith(DRIVERS)}


def test_only_the_warehouse_package_imports_a_driver() -> None:
    """Silver, gold and the rest hand frames to the warehouse (or its hashing helper) and
    never open a DuckDB or Postgres connection of their own."""
    offenders = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        if WAREHOUSE not in path.parents
        for name in _driver_imports(path)
    }
    assert not offenders, sorted(offenders)


def test_only_connect_chooses_the_engine() -> None:
    """Inside the warehouse package, the engine classes are named by their own modules, the
    package's public API and the factory alone."""
    allowed = {"duckdb_engine.py", "postgres_engine.py", "__init__.py", "connect.py"}
    offenders = {
        f"{path.name}: {name}"
        for path in WAREHOUSE.glob("*.py")
        if path.name not in allowed
        for name in _engine_imports(path)
    }
    assert not offenders, sorted(offenders)


ROOT = PACKAGE.parent
#: Ways to decide the engine: on the DSN's presence, on ``$SEC_PG_DSN`` itself, by building an
#: engine or by naming the DuckDB file.
CHOOSING = {
    "pg_dsn tested against None": r"pg_dsn\s+is\s+(not\s+)?None",
    "pg_dsn in a condition": r"\b(if|elif|while|and|or|not)\b[^\n#]*\.pg_dsn\b(?!\s*=)",
    "pg_dsn in a conditional expression": r"\.pg_dsn\b[^\n#]*\belse\b",
    "$SEC_PG_DSN read": r"(environ|getenv)\b[^\n#]*SEC_PG_DSN",
    "an engine built": r"(?<!class )(?<![\w\"'])(DuckDB|Postgres)Warehouse\(",
    "the DuckDB file named": r"[\"']warehouse\.duckdb[\"']",
}


def _choosing(text: str) -> list[str]:
    import re

    return [what for what, pattern in CHOOSING.items() if re.search(pattern, text)]


def test_nothing_but_connect_decides_on_the_dsn() -> None:
    """The package and its tools (bench, demo, checkrun) ask the warehouse ``connect_warehouse``
    returns (``engine``, ``where``); none decides again from the settings or the environment
    (an empty ``SEC_PG_DSN`` was once Postgres in the run's log and DuckDB in its writes)."""
    connect = WAREHOUSE / "connect.py"
    assert _choosing(connect.read_text(encoding="utf-8"))  # the patterns see the real choice
    offenders = {
        f"{path.relative_to(ROOT)}: {what}"
        for folder in (PACKAGE, ROOT / "sec_tools")
        for path in folder.rglob("*.py")
        if path != connect
        for what in _choosing(path.read_text(encoding="utf-8"))
    }
    assert not offenders, sorted(offenders)
    tools = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "sec_tools").rglob("*.py")
        for name in _engine_imports(path)
    }
    assert not tools, sorted(tools)

"""Each module of the warehouse package holds one concern, small enough to read whole: a file
that grows past the bound is split into a sibling module (STYLE: files rarely above 250 lines)."""

from pathlib import Path

import sec_assets.warehouse

WAREHOUSE = Path(sec_assets.warehouse.__file__).parent
MAX_LINES = 400


def test_no_warehouse_module_passes_the_line_bound() -> None:
    sizes = {
        path.relative_to(WAREHOUSE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in WAREHOUSE.rglob("*.py")
    }
    assert sizes, f"no modules found under {WAREHOUSE}"
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"split these warehouse modules (over {MAX_LINES} lines): {too_long}"

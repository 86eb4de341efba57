import json
from pathlib import Path

import polars as pl
import pytest

from sec_assets.silver.names import (
    NO_EMPRESA,
    UNKNOWN_EMPRESA,
    normalize,
    resolve_empresa,
    resolve_geografia,
)


@pytest.mark.parametrize(
    ("raw", "expected", "region"),
    [
        ("Ñuñoa", "nunoa", False),
        ("  Peñaflor ", "penaflor", False),
        ("O`Higgins", "ohiggins", True),
        (
            "Región del Libertador General Bernardo O'Higgins",
            "libertador general bernardo ohiggins",
            True,
        ),
        ("Aysén", "aysen", False),
        ("Bío-Bío", "bio bio", False),
        (None, "", False),
    ],
)
def test_normalize(raw: str | None, expected: str, region: bool) -> None:
    out = pl.DataFrame({"x": [raw]}, schema={"x": pl.Utf8}).select(
        normalize(pl.col("x"), region=region)
    )
    assert out.item() == expected


def test_every_real_fixture_name_resolves_except_the_empty_row(sec_real_dir: Path) -> None:
    for path in sorted(sec_real_dir.glob("GetPorFecha_*.json")):
        rows = pl.DataFrame(json.loads(path.read_bytes()))
        out = resolve_geografia(rows, "NOMBRE_REGION", "NOMBRE_COMUNA")
        unresolved = out.filter(~pl.col("geo_resolved"))
        assert unresolved.select("NOMBRE_REGION", "NOMBRE_COMUNA").rows() in ([], [("", "")]), path
        assert out.filter(pl.col("geo_resolved"))["geografia_id"].is_between(1101, 16305).all()


@pytest.mark.parametrize(
    ("region", "comuna", "geografia_id", "rule"),
    [
        ("Metropolitana", "Maipu", 13119, "accent-free SEC spelling"),
        ("Region Metropolitana de Santiago", "Ñuñoa", 13120, "long region name, ñ"),
        ("Coquimbo", "Punitagui", 4304, "misspelling in the alias table"),
        ("O`Higgins", "Requinoa", 6116, "backtick in the region"),
        ("Maule", "Comuna Inexistente", 7999, "unknown comuna, known region → region UNKNOWN"),
        ("", "", 0, "empty names → global UNKNOWN"),
        ("Nowhere", "Maipu", 13119, "unknown region, comuna unique nationally"),
    ],
)
def test_resolve_geografia(region: str, comuna: str, geografia_id: int, rule: str) -> None:
    frame = pl.DataFrame({"r": [region], "c": [comuna]})
    out = resolve_geografia(frame, "r", "c")
    assert out["geografia_id"].item() == geografia_id, rule


def test_resolve_empresa_eras() -> None:
    frame = pl.DataFrame({"e": ["CGE", "ENEL DISTRIBUCION CHILE S.A.", "ACME LUZ", None]})
    out = resolve_empresa(frame, "e")
    assert out["empresa_id"].to_list() == ["cge", "enel", UNKNOWN_EMPRESA, NO_EMPRESA]
    assert out["empresa_resolved"].to_list() == [True, True, False, True]
    assert resolve_empresa(pl.DataFrame({"x": [1]}), None)["empresa_id"].item() == NO_EMPRESA

"""Points cut out of a seed archive and parsed whole are the objects ``ijson``'s events build,
and a file that breaks stops at the same point with the byte where it broke: each case names
the shape it tries."""

from __future__ import annotations

import io
import json
from typing import Any

import ijson
import pytest

from sec_assets.bronze.seed_split import ArchiveSyntaxError, split_points

ROW = {"NOMBRE_REGION": "Ñuble", "NOMBRE_COMUNA": "Quillón", "CLIENTES_AFECTADOS": 7}
POINTS: list[Any] = [
    {"success": True, "fecha_consultada": "2024-08-01 00:00", "data": [ROW, ROW]},
    {"success": True, "data": []},
    "junk",
    {},  # an empty object: its closing brace is on its own line, not below it
    5,
    [],
    {"fecha_consultada": "2024-08-01 06:00", "data": [dict(ROW, X='a"}\n    }')]},
    {"fecha_consultada": "2024-08-01 12:00", "data": [dict(ROW, F=1.5, G=1e300, H=-0.0)]},
]
SEED_FILE = json.dumps({"metadata": {"year": 2024}, "data": POINTS}, indent=2, ensure_ascii=False)


def _events(raw: bytes, prefix: str) -> tuple[list[Any], str | None]:
    got: list[Any] = []
    try:
        got.extend(ijson.items(io.BytesIO(raw), prefix, use_float=True))
    except ijson.JSONError as exc:
        return got, str(exc)
    return got, None


def _split(raw: bytes, layout: str) -> tuple[list[Any], ArchiveSyntaxError | None]:
    stream = split_points(io.BytesIO(raw), layout)
    assert stream is not None, "the fast reader declined a file shaped as its layout"
    got: list[Any] = []
    try:
        got.extend(stream)
    except ArchiveSyntaxError as exc:
        return got, exc
    return got, None


CASES = {
    "the seed's year file": SEED_FILE.encode(),
    "compact JSON": json.dumps({"metadata": {"x": [1, {"y": "]"}]}, "data": POINTS}).encode(),
    "tab indentation": json.dumps({"metadata": {}, "data": POINTS}, indent="\t").encode(),
    "metadata after the points": json.dumps({"data": POINTS, "m": 1}, indent=2).encode(),
    "no points": json.dumps({"metadata": {}, "data": []}, indent=2).encode(),
    "a lone surrogate escaped in a name": SEED_FILE.replace("Quillón", "Quill\\ud800n").encode(),
    "an integer beyond 64 bits": SEED_FILE.replace(
        '"H": -0.0', '"H": 36893488147419103232'
    ).encode(),
    "NaN": SEED_FILE.replace('"H": -0.0', '"H": NaN').encode(),
    "trailing garbage": SEED_FILE.encode() + b"x",
    "truncated mid-file": SEED_FILE.encode()[: len(SEED_FILE) // 2],
    "truncated at the last brace": SEED_FILE.encode()[:-1],
    "a corrupt byte": SEED_FILE.encode().replace(b'"fecha_consultada": "2024-08-01 06', b"#", 1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cut_points_are_what_ijson_builds_and_break_where_it_breaks(case: str) -> None:
    raw = CASES[case]
    expected, error = _events(raw, "data.item")
    got, fault = _split(raw, "data")
    assert got == expected
    assert (fault is None) == (error is None), (fault, error)
    if fault is not None and "truncated" in case:
        assert fault.offset == len(raw)  # exact for a truncation
    if fault is not None and case == "a corrupt byte":
        at = raw.index(b"#")
        assert at < fault.offset <= at + 1


def test_a_bare_list_is_cut_the_same_way() -> None:
    raw = json.dumps(POINTS, indent=2).encode()
    assert _split(raw, "list") == (_events(raw, "item")[0], None)


@pytest.mark.parametrize(
    "raw", [b'{"metadata": {}, "datos": [1]}', b"[1, 2]", b'"text"', b'{"data": {"a": 1}}']
)
def test_a_file_not_shaped_as_a_year_file_is_left_to_ijson(raw: bytes) -> None:
    assert split_points(io.BytesIO(raw), "data") is None

"""A bronze envelope's JSON: the body's text escaped by orjson and spliced in gives the bytes
``json.dumps(doc, ensure_ascii=False)`` gives, for every character a decoded body can hold."""

from __future__ import annotations

import json

import pytest

from sec_assets.bronze.store import envelope_json

EVERY_CHARACTER = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        '[{"NOMBRE_COMUNA":"Quillón","CLIENTES_AFECTADOS":7}]',
        'quotes " and \\ backslashes, \n\r\t\b\f and \x00\x1f\x7f',
        "line separators \u2028\u2029, astral 𝄞, Ñuble",
        EVERY_CHARACTER,
    ],
)
def test_envelope_json_is_what_json_dumps_writes(body: str | None) -> None:
    doc = {
        "schema": "sec_assets.bronze/1",
        "headers": {"body": "not the body"},
        "error": f'the placeholder\'s neighbour "body": {body!r:.40}',
        "body": body,
        "imported": {"point": {"body": body, "hora_server": [{"FECHA": "01/08/2024 12:05"}]}},
    }
    assert envelope_json(doc) == json.dumps(doc, ensure_ascii=False).encode("utf-8")

"""The SEIA project list (sea.gob.cl "Búsqueda de proyectos") → energy projects for silver.

The investment side of "does investment make the grid more reliable". Both the web export and
the search API's names read; a value that does not parse becomes NULL and is counted, no row is
dropped for it. The rules are :func:`read_seia`'s.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from sec_assets.masterdata import seed
from sec_assets.silver.names import normalize, region_lookup
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.frames import ReplaceStep
from sec_assets.warehouse.hashing import md5_key

APPROVED = "Aprobado"
HEADERS: dict[str, tuple[str, ...]] = {  # field → normalized header names
    "project": (
        "nombre",
        "nombre del proyecto",
        "nombre proyecto",
        "proyecto",
        "expediente nombre",
    ),
    "tipo": ("tipo", "tipo de presentacion", "tipo presentacion", "tipo proyecto"),
    "region": ("region", "region nombre", "regiones"),
    "tipologia": ("tipologia", "descripcion tipologia", "tipologia principal"),
    "titular": ("titular",),
    "investment": (
        "inversion mmu",
        "inversion mmus",
        "inversion mmusd",
        "inversion mm",
        "inversion",
    ),
    "presented": ("fecha presentacion", "fecha de presentacion", "fecha presentacion format"),
    "qualified": ("fecha calificacion", "fecha de calificacion", "fecha resolucion"),
    "status": ("estado", "estado proyecto", "estado del proyecto"),
    "sector": ("sector productivo", "sector"),
}
REQUIRED = ("project", "region", "investment", "presented", "status")
STATUSES = {  # normalized → the SEIA's spelling
    "aprobado": APPROVED,
    "rechazado": "Rechazado",
    "en calificacion": "En Calificación",
    "en admision": "En Admisión",
    "desistido": "Desistido",
    "no admitido a tramitacion": "No Admitido a Tramitación",
    "caducado": "Caducado",
    "revocado": "Revocado",
    "abandonado": "Abandonado",
    "no calificado": "No Calificado",
    "termino anticipado": "Término Anticipado",
}
_ENERGY_TIPOLOGIA = r"^(b|c)( ?[0-9])?( |$)|linea.* transmision|subestacion|central.* generadora"
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
_MONEY_NOISE = re.compile(r"(?i)\s|mmus?\$|mmusd|us\$|usd|\$")


class SeiaFormatError(ValueError):
    """The file lacks a column the reader needs."""


@dataclass(frozen=True)
class SeiaResult:
    """Energy projects, and what the reader could not use (counts over the energy rows)."""

    frame: pl.DataFrame
    rows_read: int
    energy_rows: int
    interregional: int
    unresolved_region: int
    unparsable_investment: int
    unparsable_date: int
    duplicate_rows: int
    problems: pl.DataFrame  # line (1 = header), project, field, value


def parse_amount(text: str | None, decimal: str = ",") -> float | None:
    """MMUSD from '12,5', '1.234,5', '1,234.5', '12.5', '0,8000'; None if it is not a number.

    Both separators: the last one is the decimal mark. One separator once, not followed by
    exactly three digits: decimal. Otherwise (e.g. '1.234') ``decimal`` — the file's mark
    (:func:`decimal_mark`) — decides. Negative amounts are refused.
    """
    s = _MONEY_NOISE.sub("", text or "")
    if not re.fullmatch(r"[0-9.,]*[0-9][0-9.,]*", s):
        return None
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        head, _, tail = s.rpartition(dec)
        thousands = "." if dec == "," else ","
        if dec in head or not tail.isdigit() or not _grouped(head, thousands):
            return None
        return float(head.replace(thousands, "") + "." + tail)
    sep = "," if "," in s else "." if "." in s else ""
    if not sep:
        return float(s)
    head, _, tail = s.rpartition(sep)
    if sep not in head and (len(tail) != 3 or sep == decimal):
        return float((head or "0") + "." + tail) if tail else None
    return float(s.replace(sep, "")) if _grouped(s, sep) else None


def _grouped(s: str, sep: str) -> bool:
    return re.fullmatch(rf"[0-9]{{1,3}}({re.escape(sep)}[0-9]{{3}})*|[0-9]+", s) is not None


def decimal_mark(values: list[str | None]) -> str:
    """The file's decimal mark, voted by the values where it is unambiguous (',' on a tie, as
    in the Chilean export)."""
    votes = {",": 0, ".": 0}
    for text in values:
        s = _MONEY_NOISE.sub("", text or "")
        if "," in s and "." in s:
            votes["," if s.rfind(",") > s.rfind(".") else "."] += 1
        elif s.count(",") + s.count(".") == 1:
            sep = "," if "," in s else "."
            if len(s.rpartition(sep)[2]) != 3:
                votes[sep] += 1
    return "." if votes["."] > votes[","] else ","


def parse_date(text: str | None) -> date | None:
    """dd/mm/yyyy (the SEIA's), dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd or yyyy/mm/dd, with any time
    after a space or 'T' ignored; None otherwise (or outside 1990–2100)."""
    s = re.split(r"[ T]", (text or "").strip(), maxsplit=1)[0]
    for fmt in _DATE_FORMATS:
        try:
            day = datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        return day if 1990 <= day.year <= 2100 else None
    return None


def read_table(path: Path) -> pl.DataFrame:
    """The CSV as text columns, whatever its encoding and separator."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    header = text.split("\n", 1)[0]
    sep = max((";", "\t", ","), key=header.count)
    return pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False)


def find_columns(headers: list[str]) -> dict[str, str]:
    """field → the file's header, for the fields of :data:`HEADERS` present."""
    norms = pl.DataFrame({"h": headers}).select(normalize(pl.col("h")))["h"].to_list()
    found: dict[str, str] = {}
    for field, names in HEADERS.items():
        for name in names:
            if name in norms:
                found[field] = headers[norms.index(name)]
                break
    missing = [f for f in REQUIRED if f not in found]
    if missing or not ({"sector", "tipologia"} & set(found)):
        need = missing or ["sector or tipologia"]
        raise SeiaFormatError(f"SEIA list lacks column(s) for {need}; its headers: {headers}")
    return found


def _regions() -> pl.DataFrame:
    roman = seed("regions").select(pl.col("roman").str.to_lowercase().alias("norm"), "cut_region")
    return pl.concat([region_lookup(), roman]).unique(subset="norm", keep="first")


def read_seia(path: Path) -> SeiaResult:
    """The energy projects of the SEIA list at ``path``, with counts of what did not parse.

    Columns are found by their normalized header, so the web export (``Nombre``, ``Tipo``,
    ``Región``, ``Tipología``, ``Titular``, ``Inversión (MMU$)``, ``Fecha Presentación``,
    ``Estado``, optional ``Fecha Calificación`` and ``Sector Productivo``) and the search API's
    names (``EXPEDIENTE_NOMBRE``, ``REGION_NOMBRE``, ``INVERSION_MM``, …) both read. Encoding
    UTF-8 or Windows-1252; separator ``,``, ``;`` or tab. Rules:

    - energy: ``Sector Productivo`` is "Energía"; without a sector, the tipología is b (líneas de
      transmisión, subestaciones) or c (centrales generadoras > 3 MW) of DS 40 art. 3;
    - region: resolved by :func:`sec_assets.silver.names.region_lookup` (official, long, SEC and
      alias names) or the roman numeral; "Interregional" → NULL, counted apart from unresolved;
    - investment: decimal comma or dot (see :func:`parse_amount`); dates dd/mm/yyyy, dd-mm-yyyy
      or ISO (see :func:`parse_date`); a value that does not parse becomes NULL and is counted —
      no row is dropped for it;
    - ``operation_proxy``: the list has no start-of-operation date, so an ``Aprobado`` project's
      ``Fecha Calificación`` (else its presentation date) stands for it;
    - ``project_id`` = md5(normalized name | presentation date); a repeated key keeps its first
      row and the others are counted as ``duplicate_rows``.
    """
    table = read_table(path)
    cols = find_columns(table.columns)
    text = {
        f: pl.col(cols[f]).str.strip_chars() if f in cols else pl.lit(None, pl.String)
        for f in HEADERS
    }
    rows = table.select(
        pl.int_range(2, table.height + 2, dtype=pl.Int64).alias("line"),
        *(e.replace("", None).alias(f) for f, e in text.items()),
    )
    tipologia_energy = normalize(pl.col("tipologia")).str.contains(_ENERGY_TIPOLOGIA)
    sector = normalize(pl.col("sector"))
    energy = rows.filter(
        pl.when(pl.col("sector").is_not_null())
        .then(sector == "energia")
        .otherwise(tipologia_energy)
    )
    mark = decimal_mark(energy["investment"].to_list())
    parsed = energy.with_columns(
        normalize(pl.col("region"), region=True).alias("norm"),
        pl.col("investment").map_elements(lambda t: parse_amount(t, mark), pl.Float64).alias("inv"),
        pl.col("presented").map_elements(parse_date, pl.Date).alias("pres"),
        pl.col("qualified").map_elements(parse_date, pl.Date).alias("qual"),
    ).join(_regions(), on="norm", how="left")
    out = parsed.with_columns(
        pl.col("project").fill_null(""),
        (pl.col("norm").str.replace_all(" ", "") == "interregional").alias("interregional"),
        pl.col("cut_region").cast(pl.Int32),
        normalize(pl.col("status")).replace_strict(STATUSES, default=pl.col("status")),
        _tipo(pl.col("tipo")).alias("tipo"),
    )
    approved = pl.col("status") == APPROVED
    out = md5_key(
        out.with_columns(normalize(pl.col("project")).alias("_key")), ["_key", "pres"], "project_id"
    )
    out = out.with_columns(
        pl.when(approved).then(pl.coalesce("qual", "pres")).alias("operation_proxy"),
        pl.col("pres").dt.year().cast(pl.Int32).alias("year"),
    )
    dupes = out.filter(
        pl.col("project_id").is_duplicated() & ~pl.col("project_id").is_first_distinct()
    )
    problems = pl.concat(
        [
            _problems(out, pl.col("cut_region").is_null() & ~pl.col("interregional"), "region"),
            _problems(out, pl.col("inv").is_null(), "investment"),
            _problems(out, pl.col("pres").is_null(), "presented"),
            _problems(
                out, pl.col("qual").is_null() & pl.col("qualified").is_not_null(), "qualified"
            ),
            _problems(dupes, pl.lit(True), "duplicate", "project_id"),
        ]
    ).sort("line", "field")
    frame = out.filter(pl.col("project_id").is_first_distinct()).select(
        "project_id",
        "project",
        "tipo",
        "tipologia",
        "titular",
        "cut_region",
        pl.col("region").alias("nombre_region_raw"),
        "interregional",
        pl.col("inv").alias("investment_mmusd"),
        "status",
        pl.col("pres").alias("presented"),
        pl.col("qual").alias("qualified"),
        "operation_proxy",
        "year",
    )
    bad_date = out.filter(
        pl.col("pres").is_null() | (pl.col("qual").is_null() & pl.col("qualified").is_not_null())
    )
    return SeiaResult(
        frame=frame,
        rows_read=table.height,
        energy_rows=energy.height,
        interregional=int(out["interregional"].sum()),
        unresolved_region=int((out["cut_region"].is_null() & ~out["interregional"]).sum()),
        unparsable_investment=int(out["inv"].null_count()),
        unparsable_date=bad_date.height,
        duplicate_rows=dupes.height,
        problems=problems,
    )


def _tipo(col: pl.Expr) -> pl.Expr:
    norm = normalize(col)
    return (
        pl.when(norm.is_in(["dia", "declaracion de impacto ambiental"]))
        .then(pl.lit("DIA"))
        .when(norm.is_in(["eia", "estudio de impacto ambiental"]))
        .then(pl.lit("EIA"))
        .otherwise(col)
    )


def _problems(
    frame: pl.DataFrame, when: pl.Expr, field: str, source: str | None = None
) -> pl.DataFrame:
    value = pl.col(source or field).cast(pl.String).alias("value")
    return frame.filter(when).select("line", "project", pl.lit(field).alias("field"), value)


def load_seia(wh: Warehouse, path: Path) -> SeiaResult:
    """Read ``path`` and make it the whole content of silver.seia_projects.

    The replace is one transaction: it deletes the ids stored when it starts (read just before)
    and those of the new frame, then inserts the frame. Readers never see a half-loaded list.
    """
    result = read_seia(path)
    existing = wh.read("SELECT project_id FROM silver.seia_projects")["project_id"].to_list()
    ids = sorted(set(existing) | set(result.frame["project_id"].to_list()))
    if ids:
        step = ReplaceStep("seia_projects", result.frame, delete_in=("project_id", ids))
        wh.replace_many([step])
    return result

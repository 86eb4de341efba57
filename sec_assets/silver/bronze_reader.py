"""Read one month of bronze snapshots into frames: the rows of the newest valid answer of each
hour, and what bronze says about every hour it holds (versions, attempts, last error).

Each answer goes through the same parser and validation as bronze's client
(``sec_client/validation.py``): whatever bronze accepts, silver reads. A stored file silver
cannot use (written before a rule existed, damaged on disk) makes its hour ``schema_error``
with the file and the reason — quarantined, the month still builds. Rows become a frame in one
``pl.from_dicts`` call with every field read as text, so odd values (``"N/A"``, null, floats)
reach the transform intact and are counted there, not lost here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sec_assets.bronze.collect import SERVER_TIME_KEY
from sec_assets.bronze.seed_points import IMPORT_ATTEMPT
from sec_assets.bronze.store import BronzeStore, StoredFile, body_bytes
from sec_assets.sec_client.errors import SecError
from sec_assets.sec_client.validation import (
    CURRENT_FIELDS,
    LEGACY_FIELDS,
    VALIDATION_VERSION,
    parse_rows,
    validate_server_time,
    validate_snapshot,
)
from sec_assets.silver.number_guard import bad_number_hours

if TYPE_CHECKING:
    import polars as pl

RAW_FIELDS = tuple(dict.fromkeys(LEGACY_FIELDS + CURRENT_FIELDS))


def raw_schema() -> dict[str, pl.DataType]:
    """Every raw field of either era, as text."""
    import polars as pl

    return dict.fromkeys(RAW_FIELDS, pl.Utf8())


def hours_schema() -> dict[str, pl.DataType]:
    """One row per hour key present in bronze: its columns and dtypes."""
    import polars as pl

    return {
        "hour_key": pl.Utf8(),
        # latest valid outcome (ok/empty), else the last attempt's outcome
        "outcome": pl.Utf8(),
        "versions": pl.Int32(),
        "attempts": pl.Int32(),
        "fetched_at": pl.Datetime("us", "UTC"),
        "error": pl.Utf8(),
        "source_file": pl.Utf8(),
        "source": pl.Utf8(),  # of the version loaded: fetched (from the service) | imported
    }


FETCHED, IMPORTED = "fetched", "imported"


def source_of(stored: StoredFile) -> str:
    """``imported`` for an answer taken from the seed's archives, ``fetched`` otherwise."""
    return IMPORTED if stored.attempt == IMPORT_ATTEMPT else FETCHED


@dataclass(frozen=True)
class MonthAnswers:
    rows: pl.DataFrame  # hour_key, era, fetched_at + the SEC fields (text)
    hours: pl.DataFrame  # one row per hour key present in bronze (hours_schema())
    eras: pl.DataFrame  # hour_key, era, fingerprint, rows_raw, customers_raw
    server_time: datetime | None  # the newest GetHoraServer answer of the month


def _parse_server_time(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%d/%m/%Y %H:%M")
    except ValueError:
        return None


def _doc(store: BronzeStore, stored: StoredFile) -> dict:
    try:
        return store.envelope_of(stored)
    except (OSError, ValueError, EOFError) as exc:
        return {"error": f"unreadable bronze file: {type(exc).__name__}: {exc}"}


def _usable(
    store: BronzeStore, stored: StoredFile, key: str
) -> tuple[dict, list[dict] | None, str | None, str]:
    """The envelope, the rows of a valid stored answer, or why silver cannot use it and the
    outcome that makes the hour (``schema_error``, or the refusing error's kind)."""
    try:
        doc = store.envelope_of(stored)
        body = body_bytes(doc) or b"[]"
        if doc.get("validated_by") == VALIDATION_VERSION:  # passed these very rules in bronze
            rows = parse_rows(body, hour=key)
        else:
            rows = validate_snapshot(body, hour=key, endpoint="bronze").rows
    except SecError as exc:
        return {}, None, f"stored answer refused by validation: {exc}", exc.kind
    except (OSError, ValueError, EOFError) as exc:
        return {}, None, f"unreadable bronze file: {type(exc).__name__}: {exc}", "schema_error"
    return doc, rows, None, stored.outcome


def read_month(store: BronzeStore, month: str) -> MonthAnswers:
    """Everything silver needs from bronze for ``month``; opens only the newest valid files."""
    import polars as pl

    by_key: dict[str, list[StoredFile]] = defaultdict(list)
    for f in store.files(month):
        by_key[f.key].append(f)
    server_files = [f for f in by_key.pop(SERVER_TIME_KEY, []) if f.good]
    server_time = None
    if server_files:
        try:
            fecha = validate_server_time(body_bytes(store.envelope_of(server_files[-1])) or b"")
        except (SecError, OSError, ValueError, EOFError):
            fecha = None
        server_time = _parse_server_time(fecha)

    hour_rows: list[dict[str, object]] = []
    era_rows: list[dict[str, object]] = []
    bodies: list[list[dict]] = []
    keys: list[str] = []
    root = store.root
    for key, files in sorted(by_key.items()):
        good = [f for f in files if f.good]
        latest = good[-1] if good else files[-1]
        if good:
            doc, rows, problem, outcome = _usable(store, latest, key)
        else:
            doc, rows, problem, outcome = _doc(store, latest), None, None, latest.outcome
        hour_rows.append(
            {
                "hour_key": key,
                "outcome": outcome,
                "versions": len(good),
                "attempts": len(files),
                "fetched_at": latest.fetched_at,
                "error": problem or doc.get("error"),
                "source_file": str(latest.path.relative_to(root)),
                "source": source_of(latest),
            }
        )
        if rows is None:
            continue
        era_rows.append(
            {
                "hour_key": key,
                "era": doc.get("era"),
                "fingerprint": doc.get("fingerprint"),
                "rows_raw": len(rows),
                "customers_raw": doc.get("customers") or 0,
            }
        )
        bodies.append(rows)
        keys.append(key)

    flat = [row for body in bodies for row in body]
    rows_frame = pl.from_dicts(flat, schema=raw_schema(), strict=False) if flat else None
    if rows_frame is None:
        rows_frame = pl.DataFrame(schema=raw_schema())
    sizes = [(k, len(b)) for k, b in zip(keys, bodies, strict=True) if b]
    hour_col = (
        pl.Series("hour_key", [k for k, _ in sizes], dtype=pl.Utf8)
        .repeat_by(pl.Series([n for _, n in sizes], dtype=pl.UInt32))
        .explode()
    )
    rows_frame = rows_frame.with_columns(hour_col)
    eras = pl.DataFrame(
        era_rows,
        schema={
            "hour_key": pl.Utf8,
            "era": pl.Utf8,
            "fingerprint": pl.Utf8,
            "rows_raw": pl.Int32,
            "customers_raw": pl.Int64,
        },
    )
    rows_frame = rows_frame.join(eras.select("hour_key", "era"), on="hour_key", how="left")
    hours = pl.DataFrame(hour_rows, schema=hours_schema())
    bad = bad_number_hours(rows_frame)
    if bad.height:  # quarantined, not loaded: their rows and eras go
        rows_frame = rows_frame.join(bad, on="hour_key", how="anti")
        eras = eras.join(bad, on="hour_key", how="anti")
        hours = (
            hours.join(bad.rename({"error": "_bad"}), on="hour_key", how="left")
            .select(
                *(c for c in hours_schema() if c not in ("outcome", "error")),
                pl.when(pl.col("_bad").is_null())
                .then(pl.col("outcome"))
                .otherwise(pl.lit("schema_error"))
                .alias("outcome"),
                pl.coalesce("_bad", "error").alias("error"),
            )
            .select(list(hours_schema()))
        )
    return MonthAnswers(rows_frame, hours, eras, server_time)

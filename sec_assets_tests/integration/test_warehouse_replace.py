"""Partition replacement on both engines: exactly the month, atomically, idempotently."""

from __future__ import annotations

import threading
from collections.abc import Callable

import polars as pl
import pytest

from sec_assets.warehouse import (
    ReplaceStep,
    Warehouse,
    WarehouseIntegrityError,
    WarehouseLockTimeout,
)
from sec_assets_tests.integration import test_warehouse_support as support
from sec_assets_tests.integration.test_warehouse_support import (
    eventos,
    facts,
    ledger,
    load_month,
    month_rows,
    table,
)

engine, duckdb_templates, pg_session_database, warehouse, seeded = support.FIXTURES


def snapshot(wh: Warehouse) -> dict[str, pl.DataFrame]:
    return {t: table(wh, t) for t in ("snapshot_ledger", "fact_interrupciones", "fact_eventos")}


def test_replace_touches_exactly_its_month(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")
    load_month(seeded, "2024-02")
    february = table(seeded, "fact_interrupciones").filter(pl.col("month") == "2024-02")

    written = load_month(seeded, "2024-01", hours=5, bump=1)

    assert written == {"snapshot_ledger": 744, "fact_interrupciones": 5 * 8 * 3}
    after = table(seeded, "fact_interrupciones")
    assert after.filter(pl.col("month") == "2024-02").equals(february)
    january = after.filter(pl.col("month") == "2024-01")
    assert january.equals(facts("2024-01", hours=5, bump=1).sort("hash_id").pipe(_as_read))
    assert month_rows(seeded, "snapshot_ledger", "2024-02") == 29 * 24


def _as_read(frame: pl.DataFrame) -> pl.DataFrame:
    """A built frame with the dtypes read() returns (ints Int64, TIMESTAMPTZ as UTC)."""
    return frame.with_columns(pl.col(pl.Int32).cast(pl.Int64))


def test_rerunning_the_same_load_changes_nothing(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")
    first = snapshot(seeded)
    load_month(seeded, "2024-01")
    load_month(seeded, "2024-01")
    second = snapshot(seeded)
    assert all(first[t].equals(second[t]) for t in first)
    assert first["fact_interrupciones"].height == 24 * 8 * 3


SPOILERS: list[tuple[str, Callable[[pl.DataFrame], pl.DataFrame]]] = [
    ("foreign key", lambda f: f.with_columns(geografia_id=pl.lit(99_999))),
    ("primary key", lambda f: pl.concat([f, f.head(1)])),
    ("not null", lambda f: f.with_columns(era=pl.lit(None, pl.String))),
]


def test_a_failing_load_rolls_back_and_keeps_the_month(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")
    before = snapshot(seeded)
    new_ledger = ledger("2024-01", status="degraded")  # upserted first, then undone
    for rule, spoil in SPOILERS:
        bad = spoil(facts("2024-01", bump=7))
        with pytest.raises(WarehouseIntegrityError):
            seeded.replace_many(
                [
                    ReplaceStep("snapshot_ledger", new_ledger, where={"month": "2024-01"}),
                    ReplaceStep("fact_interrupciones", bad, where={"month": "2024-01"}),
                ]
            )
        after = snapshot(seeded)
        assert all(before[t].equals(after[t]) for t in before), f"{rule}: not rolled back"


def in_one_transaction(wh: Warehouse, statements: list[str]) -> None:
    """Run raw ``statements`` in one transaction on the engine's own connection."""
    with wh.get_connection() as con:
        if wh.engine == "duckdb":
            con.begin()
            for sql in statements:
                con.execute(sql)
            con.commit()
        else:
            with con.transaction():
                for sql in statements:
                    con.execute(sql)


def test_delete_and_reinsert_the_same_keys_in_one_transaction(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")
    before = table(seeded, "fact_interrupciones")
    # DuckDB shows the month tables through a view: write to the month's own table.
    facts_table = (
        "silver.fact_interrupciones__2024_01"
        if seeded.engine == "duckdb"
        else "silver.fact_interrupciones"
    )
    month = f"FROM {facts_table} WHERE month = '2024-01'"
    in_one_transaction(
        seeded,
        [
            f"CREATE TEMP TABLE keep AS SELECT * {month}",
            f"DELETE {month}",
            f"INSERT INTO {facts_table} SELECT * FROM keep",
            f"DELETE {month}",
            f"INSERT INTO {facts_table} SELECT * FROM keep",
        ],
    )
    assert table(seeded, "fact_interrupciones").equals(before)
    # Through the API: the same keys deleted and re-inserted, with new values.
    load_month(seeded, "2024-01", bump=100)
    got = table(seeded, "fact_interrupciones")
    assert got["hash_id"].equals(before["hash_id"])
    assert (got["clientes_afectados"] - before["clientes_afectados"]).unique().to_list() == [100]
    # The ledger alone, its hours still referenced by the facts: updated in place.
    seeded.replace_partition(
        "snapshot_ledger", ledger("2024-01", status="empty"), where={"month": "2024-01"}
    )
    assert table(seeded, "snapshot_ledger")["status"].unique().to_list() == ["empty"]


def test_a_shorter_ledger_drops_its_vanished_hours_with_their_facts(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")  # facts reference the first 24 hours
    short = ledger("2024-01", hours=12)
    seeded.replace_many(
        [
            ReplaceStep("snapshot_ledger", short, where={"month": "2024-01"}),
            ReplaceStep(
                "fact_interrupciones", facts("2024-01", hours=12), where={"month": "2024-01"}
            ),
        ]
    )
    assert month_rows(seeded, "snapshot_ledger", "2024-01") == 12
    assert month_rows(seeded, "fact_interrupciones", "2024-01") == 12 * 8 * 3


def test_a_fact_outside_its_hours_month_is_refused_so_no_other_month_holds_a_ledger_hour(
    seeded: Warehouse,
) -> None:
    """Facts are stored a table per month, and a row's month must be its hour's (CHECK): a
    February row on a January hour cannot be stored, so replacing January's ledger never
    finds its hours referenced from another month."""
    load_month(seeded, "2024-01")
    before = snapshot(seeded)
    stray = (
        facts("2024-01", hours=24)
        .tail(1)
        .with_columns(month=pl.lit("2024-02"), hash_id=pl.lit("x"))
    )
    with pytest.raises(WarehouseIntegrityError, match=r"(?i)check constraint"):
        seeded.replace_partition("fact_interrupciones", stray, where={"month": "2024-02"})
    after = snapshot(seeded)
    assert all(before[t].equals(after[t]) for t in before)


def test_delete_in_replaces_events_by_id(seeded: Warehouse) -> None:
    seeded.replace_partition(
        "fact_eventos", eventos("2024-01", ["a", "b", "c"]), where={"month": "2024-01"}
    )
    seeded.replace_many(
        [
            ReplaceStep(
                "fact_eventos",
                eventos("2024-01", ["b", "d"], peak=7),
                delete_in=("evento_id", ["b", "d", "zz"]),
            )
        ]
    )
    got = table(seeded, "fact_eventos").select("evento_id", "peak_customers")
    assert got.rows() == [("a", 100), ("b", 7), ("c", 100), ("d", 7)]
    seeded.replace_many(
        [ReplaceStep("fact_eventos", eventos("2024-01", []), delete_in=("evento_id", []))]
    )
    assert table(seeded, "fact_eventos").height == 4  # an empty key list deletes nothing
    seeded.replace_many(
        [
            ReplaceStep(
                "fact_eventos",
                eventos("2024-01", ["a"], peak=1),
                where={"month": "2024-01"},
                delete_in=("evento_id", ["a", "c"]),
            )
        ]
    )
    assert table(seeded, "fact_eventos").select("evento_id", "peak_customers").rows() == [
        ("a", 1),
        ("b", 7),
        ("d", 7),
    ]


def test_a_frame_outside_its_partition_is_refused_before_any_change(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")
    before = snapshot(seeded)
    with pytest.raises(ValueError, match="outside the partition"):
        seeded.replace_partition(
            "fact_interrupciones", facts("2024-02"), where={"month": "2024-01"}
        )
    with pytest.raises(ValueError, match="needs where= or delete_in="):
        seeded.replace_many([ReplaceStep("fact_eventos", eventos("2024-01", ["a"]))])
    with pytest.raises(ValueError, match="no column"):
        seeded.replace_partition("fact_eventos", eventos("2024-01", ["a"]), where={"mes": "x"})
    after = snapshot(seeded)
    assert all(before[t].equals(after[t]) for t in before)


def test_a_key_held_outside_the_partition_is_a_duplicate_key(seeded: Warehouse) -> None:
    load_month(seeded, "2024-01")
    before = snapshot(seeded)
    stolen_fact = facts("2024-01", hours=1).head(1).with_columns(month=pl.lit("2024-02"))
    stolen_hour = ledger("2024-01", hours=1).with_columns(month=pl.lit("2024-02"))
    # Facts are stored a table per month, and a row's month must be its hour's.
    with pytest.raises(WarehouseIntegrityError, match=r"(?i)check constraint"):
        seeded.replace_partition("fact_interrupciones", stolen_fact, where={"month": "2024-02"})
    with pytest.raises(WarehouseIntegrityError, match=r"(?i)duplicate key"):
        seeded.replace_partition("snapshot_ledger", stolen_hour, where={"month": "2024-02"})
    after = snapshot(seeded)
    assert all(before[t].equals(after[t]) for t in before)


def test_a_row_whose_indexed_columns_change_under_the_same_key_is_replaced(
    seeded: Warehouse,
) -> None:
    """A foreign-key column is indexed in DuckDB: such a row is deleted and re-inserted."""
    load_month(seeded, "2024-01")
    moved = facts("2024-01").with_columns(
        geografia_id=pl.when(pl.col("geografia_id") == 13100)
        .then(pl.lit(0, pl.Int32))
        .otherwise("geografia_id"),
        flag_geo_unknown=pl.col("geografia_id") == 13100,
    )
    load_again = [
        ReplaceStep("snapshot_ledger", ledger("2024-01"), where={"month": "2024-01"}),
        ReplaceStep("fact_interrupciones", moved, where={"month": "2024-01"}),
    ]
    seeded.replace_many(load_again)
    got = table(seeded, "fact_interrupciones")
    assert got.equals(_as_read(moved.sort("hash_id")))
    assert got.filter(pl.col("geografia_id") == 0).height == 24 * 3


@pytest.mark.parametrize(
    ("within", "kept_where"),
    [
        (None, None),
        ("month", None),
        # what the rows kept ("c", "f") satisfy and the replaced ones ("a", "b", "e") need not
        ("month", ("evento_id NOT IN (:r1, :r2)", {"r1": "b", "r2": "e"})),
    ],
)
def test_replace_rows_replaces_by_key_and_keeps_the_rest(
    seeded: Warehouse,
    within: str | None,
    kept_where: tuple[str, dict[str, object]] | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same result whether the table is stored plainly (DuckDB's fact_eventos) or a table
    per month (Postgres' fact_eventos: the months touched are rewritten whole, and
    ``kept_where`` narrows the read of the rows they keep), whether the replace is bounded to
    the months it touches (``within``) or not."""
    for month, ids in (("2024-01", ["a", "b", "c"]), ("2024-02", ["e", "f"])):
        seeded.replace_partition("fact_eventos", eventos(month, ids), where={"month": month})
    stored = table(seeded, "fact_eventos")
    replaced = stored.filter(pl.col("evento_id").is_in(["b", "e"])).select("evento_id", "month")
    new = pl.concat([eventos("2024-01", ["a", "d"], peak=7), eventos("2024-03", ["g"], peak=7)])
    read_back: list[list[str]] = []
    plain_read = seeded.read

    def recording_read(sql: str, *args: object, **kwargs: object) -> pl.DataFrame:
        got = plain_read(sql, *args, **kwargs)  # type: ignore[arg-type]
        if "evento_id" in got.columns:
            read_back.append(sorted(got["evento_id"].to_list()))
        return got

    monkeypatch.setattr(seeded, "read", recording_read)
    seeded.replace_rows(
        "fact_eventos",
        new,
        key="evento_id",
        replaced=replaced,
        within=within,
        kept_where=kept_where,
    )
    monkeypatch.undo()
    got = table(seeded, "fact_eventos").sort("evento_id")
    assert got.select("evento_id", "month", "peak_customers").rows() == [
        ("a", "2024-01", 7),
        ("c", "2024-01", 100),
        ("d", "2024-01", 7),
        ("f", "2024-02", 100),
        ("g", "2024-03", 7),
    ]
    if seeded.engine == "postgres":  # the months touched, read back to keep their other rows
        narrowed = kept_where is not None
        assert read_back == [["a", "c", "f"] if narrowed else ["a", "b", "c", "e", "f"]]


@pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_kept_where_may_not_rebind_the_months_parameters(seeded: Warehouse) -> None:
    seeded.replace_partition("fact_eventos", eventos("2024-01", ["a"]), where={"month": "2024-01"})
    new = eventos("2024-01", ["a"], peak=7)
    with pytest.raises(ValueError, match="may not name parameters"):
        seeded.replace_rows(
            "fact_eventos",
            new,
            key="evento_id",
            replaced=new.head(0).select("evento_id", "month"),
            within="month",
            kept_where=("month <> :v0", {"v0": "2024-02"}),
        )
    assert table(seeded, "fact_eventos")["peak_customers"].to_list() == [100]


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_episode_keys_are_checked_set_based_on_duckdb(seeded: Warehouse) -> None:
    """DuckDB keeps fact_eventos without keys (no ART index); every replace checks them: a new
    id stored already — in the months a bounded replace touches, or anywhere for one that
    names no months — and an unknown comuna are refused, and the replace rolls back."""
    info = seeded.tables()["fact_eventos"]
    assert info.keys_checked and info.primary_key == ("evento_id",)
    assert {fk.ref_table for fk in info.foreign_keys} == {
        "dim_geografia",
        "dim_empresa",
        "dim_tiempo",
    }
    declared = seeded.read(
        "SELECT count(*) AS n FROM duckdb_constraints() WHERE table_name = 'fact_eventos' "
        "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')"
    )
    assert declared["n"].item() == 0, "no key declared to DuckDB"
    for month, ids in (("2024-01", ["a", "b"]), ("2024-02", ["e"])):
        seeded.replace_partition("fact_eventos", eventos(month, ids), where={"month": month})
    before = table(seeded, "fact_eventos")

    again = ReplaceStep(  # "a" is stored in 2024-01 and not among the ids replaced
        "fact_eventos",
        eventos("2024-01", ["a"], peak=7),
        delete_in=("evento_id", ["b"]),
        within=("month", ["2024-01", "2024-02"]),
    )
    with pytest.raises(WarehouseIntegrityError, match=r"duplicate key.*'a'"):
        seeded.replace_many([again])
    moved = eventos("2024-01", ["c", "e"])  # "e" is stored under 2024-02: a whole-table check
    with pytest.raises(WarehouseIntegrityError, match=r"duplicate key.*'e'"):
        seeded.replace_partition("fact_eventos", moved, where={"month": "2024-01"})
    orphan = eventos("2024-01", ["z"]).with_columns(geografia_id=pl.lit(999_999, pl.Int32))
    with pytest.raises(WarehouseIntegrityError, match=r"broken reference.*999999"):
        seeded.replace_rows(
            "fact_eventos", orphan, key="evento_id", replaced=orphan.head(0), within="month"
        )
    assert table(seeded, "fact_eventos").equals(before)
    with pytest.raises(ValueError, match="outside within"):
        seeded.replace_many(
            [
                ReplaceStep(
                    "fact_eventos",
                    moved,
                    delete_in=("evento_id", ["a"]),
                    within=("month", ["2024-02"]),
                )
            ]
        )


def test_replace_each_writes_batch_by_batch_and_a_bad_one_rolls_back_alone(
    seeded: Warehouse,
) -> None:
    bad = facts("2024-02").with_columns(pl.lit(424242).alias("geografia_id"))
    batches = [
        [
            ReplaceStep("snapshot_ledger", ledger(m), where={"month": m}),
            ReplaceStep("fact_interrupciones", f, where={"month": m}),
        ]
        for m, f in (("2024-01", facts("2024-01")), ("2024-02", bad), ("2024-03", facts("2024-03")))
    ]
    results = list(seeded.replace_each(batches, keep_going=True))
    assert [r.error is None for r in results] == [True, False, True]
    written = {"snapshot_ledger": 744, "fact_interrupciones": facts("2024-01").height}
    assert results[0].written == written
    months = table(seeded, "fact_interrupciones")["month"].unique().sort().to_list()
    assert months == ["2024-01", "2024-03"]
    with pytest.raises(WarehouseIntegrityError):
        list(seeded.replace_each(batches[1:2]))


def test_a_named_lock_has_one_holder_at_a_time(seeded: Warehouse) -> None:
    outcome: list[str] = []

    def contender() -> None:
        try:
            with seeded.lock("probe", timeout_s=0.3):
                outcome.append("acquired")
        except WarehouseLockTimeout:
            outcome.append("timed out")

    with seeded.lock("probe", timeout_s=5):
        assert table(seeded, "dim_empresa").height  # the warehouse is usable inside
        thread = threading.Thread(target=contender)
        thread.start()
        thread.join()
    contender()
    assert outcome == ["timed out", "acquired"]

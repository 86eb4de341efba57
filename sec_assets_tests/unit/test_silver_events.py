"""Episode reconstruction on hand-made observation series."""

from datetime import datetime

import polars as pl
import pytest

from sec_assets.silver.events import reconstruct_events


def h(hour: int, day: int = 2) -> datetime:
    return datetime(2024, 8, day, hour)


def facts(obs: list[tuple[int, int]], geo: int = 13119) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "hora_local": [h(x) for x, _ in obs],
            "geografia_id": [geo] * len(obs),
            "empresa_id": ["no_informada"] * len(obs),
            "clientes_afectados": [c for _, c in obs],
        },
        schema={
            "hora_local": pl.Datetime("us"),
            "geografia_id": pl.Int32,
            "empresa_id": pl.Utf8,
            "clientes_afectados": pl.Int64,
        },
    )


def ledger(hours: range | list[int], bad: dict[int, str] | None = None) -> pl.DataFrame:
    bad = bad or {}
    return pl.DataFrame(
        {"hora_local": [h(x) for x in hours], "status": [bad.get(x, "ok") for x in hours]},
        schema={"hora_local": pl.Datetime("us"), "status": pl.Utf8},
    )


def test_consecutive_hours_make_one_episode() -> None:
    [ev] = reconstruct_events(facts([(10, 5), (11, 8), (12, 3)]), ledger(range(8, 15))).to_dicts()
    assert (ev["first_hour"], ev["last_hour"]) == (h(10), h(12))
    assert (ev["peak_customers"], ev["customer_hours"], ev["snapshots"]) == (8, 16.0, 3)
    assert (ev["start_lower"], ev["start_upper"]) == (h(9), h(10))
    assert (ev["end_lower"], ev["end_upper"]) == (h(12), h(13))
    assert not ev["censored_start"] and not ev["censored_end"] and ev["gap_hours"] == 0
    assert ev["month"] == "2024-08" and ev["tiempo_id"] == 20240802 and len(ev["evento_id"]) == 32


@pytest.mark.parametrize("status", ["failed", "missing", "degraded", "schema_error", "empty"])
def test_no_data_hours_are_bridged(status: str) -> None:
    obs = facts([(10, 5), (13, 4)])
    [ev] = reconstruct_events(obs, ledger(range(8, 16), {11: status, 12: status})).to_dicts()
    assert (ev["first_hour"], ev["last_hour"], ev["gap_hours"]) == (h(10), h(13), 2)
    assert ev["customer_hours"] == 5 * 3 + 4 * 1  # carried forward across the gap
    assert ev["snapshots"] == 2


def test_a_valid_hour_without_the_outage_ends_it() -> None:
    events = reconstruct_events(facts([(10, 5), (12, 4)]), ledger(range(8, 16)))
    assert events.select("first_hour", "last_hour").rows() == [(h(10), h(10)), (h(12), h(12))]


@pytest.mark.parametrize(
    ("obs", "bad", "censored", "rule"),
    [
        ([(8, 1)], {}, (True, False), "first hour of the data loaded"),
        ([(14, 1)], {}, (False, True), "last hour of the data loaded"),
        ([(10, 1)], {9: "failed"}, (True, False), "no data right before"),
        ([(10, 1)], {11: "degraded"}, (False, True), "no data right after"),
    ],
)
def test_censoring(obs: list, bad: dict, censored: tuple[bool, bool], rule: str) -> None:
    [ev] = reconstruct_events(facts(obs), ledger(range(8, 15), bad)).to_dicts()
    assert (ev["censored_start"], ev["censored_end"]) == censored, rule


def test_comunas_are_independent_and_ids_unique() -> None:
    both = pl.concat([facts([(10, 5), (11, 5)]), facts([(11, 7)], geo=13120)])
    events = reconstruct_events(both, ledger(range(8, 15)))
    assert events.select("geografia_id", "snapshots").rows() == [(13119, 2), (13120, 1)]
    assert events["evento_id"].n_unique() == 2


def test_sampled_every_six_hours() -> None:
    [ev] = reconstruct_events(facts([(6, 10), (12, 4)]), ledger([0, 6, 12, 18])).to_dicts()
    assert (ev["first_hour"], ev["last_hour"]) == (h(6), h(12))
    # Each sample stands for the 6 hours it represents, the last one too (unbiased: an outage
    # seen n times at 4 a day lasted 6n hours on average, docs/cadence.md).
    assert ev["customer_hours"] == 10 * 6 + 4 * 6
    assert (ev["start_lower"], ev["end_upper"]) == (h(0), h(18))


def test_observations_in_no_data_hours_are_not_evidence() -> None:
    obs = facts([(10, 5), (11, 900), (12, 5)])
    [ev] = reconstruct_events(obs, ledger(range(8, 15), {11: "degraded"})).to_dicts()
    assert ev["peak_customers"] == 5 and ev["snapshots"] == 2


def test_zero_customers_are_not_an_outage() -> None:
    assert reconstruct_events(facts([(10, 0)]), ledger(range(8, 15))).is_empty()


def test_overlapping_stored_equals_the_pairwise_overlap() -> None:
    """The as-of join finds exactly the stored episodes that share an hour with a new one of
    the same comuna and company (checked against the all-pairs join on random data: stored
    episodes may overlap each other, as shorter versions of one episode do)."""
    import random

    from sec_assets.silver.events import KEY, overlapping_stored

    rng = random.Random(7)
    new_rows, stored_rows = [], []
    for geo in range(1, 40):
        for emp in ("a", "b"):
            t = rng.randint(0, 20)
            for _ in range(rng.randint(0, 12)):  # disjoint new episodes, as one rebuild makes
                length = rng.randint(0, 6)
                new_rows.append((geo, emp, t, t + length))
                t += length + rng.randint(1, 8)
            for i in range(rng.randint(0, 12)):  # stored ones: anywhere, overlapping allowed
                a = rng.randint(0, 120)
                stored_rows.append((f"{geo}{emp}{i}", geo, emp, a, a + rng.randint(0, 10)))

    def at(x: int) -> datetime:
        return datetime(2024, 8, 1) + (datetime(2024, 8, 1, 1) - datetime(2024, 8, 1)) * x

    events = pl.DataFrame(
        [(g, e, at(f), at(last)) for g, e, f, last in new_rows],
        schema=["geografia_id", "empresa_id", "first_hour", "last_hour"],
        orient="row",
    )
    stored = pl.DataFrame(
        [(i, g, e, at(f), at(last)) for i, g, e, f, last in stored_rows],
        schema=["evento_id", "geografia_id", "empresa_id", "first_hour", "last_hour"],
        orient="row",
    )
    pairs = stored.join(events.rename({"first_hour": "f", "last_hour": "l"}), on=KEY).filter(
        (pl.col("first_hour") <= pl.col("l")) & (pl.col("last_hour") >= pl.col("f"))
    )
    expected = set(pairs["evento_id"])
    assert 0 < len(expected) < stored.height  # the data exercises both outcomes
    assert set(overlapping_stored(stored, events)["evento_id"]) == expected


def test_chunked_reconstruction_equals_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above CHUNK_ROWS observations the rebuild runs comuna by comuna in chunks (bounded
    memory): the same episodes in the same order as all at once, on random series of many
    comunas and companies with no-data hours."""
    import random

    from sec_assets.silver import events as ev

    rng = random.Random(11)
    hours = list(range(0, 24 * 6))
    bad = {x: rng.choice(["failed", "degraded", "empty"]) for x in rng.sample(hours, 20)}
    frames = []
    for geo in range(13101, 13140):
        for emp in ("enel", "cge", "no_informada"):
            obs = [(x, rng.choice([0, 5, 40, 900])) for x in hours if rng.random() < 0.5]
            frame = facts([(x % 24, c) for x, c in obs], geo=geo)
            frames.append(
                frame.with_columns(
                    pl.Series("hora_local", [h(x % 24, 2 + x // 24) for x, _ in obs]),
                    pl.lit(emp).alias("empresa_id"),
                )
            )
    observed = pl.concat(frames)
    led = pl.DataFrame(
        {
            "hora_local": [h(x % 24, 2 + x // 24) for x in hours],
            "status": [bad.get(x, "ok") for x in hours],
        },
        schema={"hora_local": pl.Datetime("us"), "status": pl.Utf8},
    )
    whole = reconstruct_events(observed, led)
    monkeypatch.setattr(ev, "CHUNK_ROWS", observed.height // 7)
    chunked = reconstruct_events(observed, led)
    assert whole.height > 100
    assert chunked.equals(whole)


def test_keys_change_between_consecutive_hours_and_nulls_group_together() -> None:
    """Rows sorted by comuna, company and hour: a new episode starts where the comuna or the
    company changes, even when the hours run on; rows of a missing company (null) are one
    company, as a group_by takes them."""
    a = facts([(10, 5), (11, 6)], geo=1)
    b = facts([(12, 7), (13, 8)], geo=2)  # starts right where comuna 1's hours end
    null_company = facts([(10, 1), (11, 2), (12, 3)], geo=3).with_columns(
        pl.lit(None, pl.Utf8).alias("empresa_id")
    )
    events = reconstruct_events(pl.concat([a, b, null_company]), ledger(range(8, 16)))
    spans = {
        (e["geografia_id"], e["first_hour"], e["last_hour"], e["snapshots"])
        for e in events.to_dicts()
    }
    assert spans == {(1, h(10), h(11), 2), (2, h(12), h(13), 2), (3, h(10), h(12), 3)}

"""The region cap: every (hour, region) of the facts adds up to at most the region's customers,
whatever shape the service's wrong values take; what was reduced is flagged and counted."""

from __future__ import annotations

import polars as pl
import pytest

from sec_assets.silver.guardrails import cap_region_totals

CAP = 1000


def facts(values: list[int], capped: list[bool] | None = None) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {
            "hour_key": ["2024-08-01T12"] * n,
            "cut_region": [13] * n,
            "clientes_afectados": values,
            "_cap": [CAP] * n,
            "flag_capped": capped or [False] * n,
        },
        schema_overrides={"clientes_afectados": pl.Int64, "_cap": pl.Int64},
    )


@pytest.mark.parametrize(
    ("values", "capped", "expected"),
    [
        # within the region: untouched
        ([400, 500], [False, False], [400, 500]),
        # one comuna above the region (already capped at it) and real outages beside it: the
        # absurd value gives way, the others keep their values
        ([1000, 50, 30], [True, False, False], [920, 50, 30]),
        # several comunas whose sum is above the region, none alone: in proportion
        ([600, 600], [False, False], [500, 500]),
        ([700, 500, 300], [False, False, False], [466, 333, 200]),
        # two absurd values and real ones: the absurd share what is left
        ([1000, 1000, 200], [True, True, False], [400, 400, 200]),
        # the real ones alone exceed it: the absurd values drop to 0, the real scaled
        ([1000, 900, 300], [True, False, False], [0, 750, 250]),
    ],
)
def test_region_total_never_exceeds_the_region(
    values: list[int], capped: list[bool], expected: list[int]
) -> None:
    out = cap_region_totals(facts(values, capped))
    assert out["clientes_afectados"].to_list() == expected
    assert out["clientes_afectados"].sum() <= CAP
    reduced = [a < b for a, b in zip(expected, values, strict=True)]
    assert out["flag_region_total_capped"].to_list() == reduced


def test_regions_and_hours_are_capped_apart() -> None:
    frame = pl.concat(
        [
            facts([800, 300]),
            facts([800, 100]).with_columns(pl.lit("2024-08-01T13").alias("hour_key")),
            facts([800, 300]).with_columns(pl.lit(5, pl.Int64).alias("cut_region")),
        ]
    )
    out = cap_region_totals(frame)
    totals = out.group_by("hour_key", "cut_region").agg(pl.col("clientes_afectados").sum())
    assert (totals["clientes_afectados"] <= CAP).all()
    assert out.filter(pl.col("hour_key") == "2024-08-01T13")["clientes_afectados"].to_list() == [
        800,
        100,
    ]


def test_rows_without_a_region_cap_are_left_alone() -> None:
    frame = facts([5_000_000]).with_columns(pl.lit(None, pl.Int64).alias("_cap"))
    out = cap_region_totals(frame)
    assert out["clientes_afectados"].to_list() == [5_000_000]
    assert out["flag_region_total_capped"].to_list() == [False]

"""The synthetic outage process and its ground truth (no HTTP)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import polars as pl
import pytest

from sec_sim import SimConfig, SimService, truth_events, truth_hourly
from sec_sim.background import background_outages
from sec_sim.master import load_master
from sec_sim.server import encode_json
from sec_sim.storms import storm_outages, storm_plans
from sec_sim.table import month_outages
from sec_sim.timeutil import exists_locally, hour_index, is_nonexistent

LATE_CLOCK = datetime(2027, 6, 1, 12, 0)  # every hour asked below is final (no revision)


def service(**over: object) -> SimService:
    values: dict[str, object] = {"seed": 42, "clock": LATE_CLOCK}
    values.update(over)
    return SimService(SimConfig.model_validate(values))


def customers(rows: list[dict]) -> int:
    return sum(int(r["CLIENTES_AFECTADOS"]) for r in rows)


def test_same_seed_and_hour_give_byte_identical_bodies() -> None:
    hours = [hour_index(datetime(2024, 8, 2, 12)), hour_index(datetime(2024, 8, 17, 3))]
    for era in ("current", "legacy"):
        first = [encode_json(service(era=era).por_fecha(h)) for h in hours]
        again = [encode_json(service(era=era).por_fecha(h)) for h in hours]
        assert first == again


def test_generation_is_deterministic_without_caches() -> None:
    master = load_master()
    one = background_outages(master, 42, 2026, 10)
    two = background_outages(master, 42, 2026, 10)
    assert one == two and len(one) > 5_000
    assert background_outages(master, 43, 2026, 10) != one


def test_windstorm_of_2024_08_02_peaks_near_the_real_answer() -> None:
    rows = service().por_fecha(hour_index(datetime(2024, 8, 2, 12)))
    assert 200 <= len(rows) <= 400
    assert 900_000 <= customers(rows) <= 1_500_000
    regions = {r["NOMBRE_REGION"] for r in rows}
    assert {"Metropolitana", "La Araucania", "O`Higgins", "Biobio", "Valparaiso"} <= regions
    # It is a storm of one to two days: far smaller the day before and two days later.
    before = service().por_fecha(hour_index(datetime(2024, 8, 1, 12)))
    after = service().por_fecha(hour_index(datetime(2024, 8, 4, 12)))
    assert customers(before) < 100_000 and customers(after) < 100_000


@pytest.mark.parametrize("moment", [datetime(2026, 9, 30, 0), datetime(2026, 10, 4, 0)])
def test_quiet_2026_hours_look_like_the_real_ones(moment: datetime) -> None:
    rows = service().por_fecha(hour_index(moment))
    assert 50 <= len(rows) <= 300
    assert 1_000 <= customers(rows) <= 30_000
    values = sorted(int(r["CLIENTES_AFECTADOS"]) for r in rows)
    assert statistics.median(values) <= 30  # most rows are a handful of customers


def test_quiet_month_is_calibrated_hour_by_hour() -> None:
    frame = (
        truth_hourly("2026-10")
        .group_by("hour")
        .agg(pl.col("customers").sum(), pl.col("cut_comuna").n_unique().alias("comunas"))
    )
    assert frame.height == 31 * 24
    assert 80 <= frame["comunas"].median() <= 200  # type: ignore[operator]
    assert 2_000 <= frame["customers"].median() <= 15_000  # type: ignore[operator]


def test_daily_and_seasonal_rhythm() -> None:
    master = load_master()
    winter = background_outages(master, 42, 2025, 7)
    summer = background_outages(master, 42, 2026, 1)
    assert len(winter) > 1.4 * len(summer)
    by_hour = [0] * 24
    for o in winter:
        by_hour[o.start.hour] += 1
    assert sum(by_hour[14:21]) > 1.6 * sum(by_hour[1:8])


def test_outages_rise_and_are_restored_over_hours() -> None:
    events = truth_events("2026-10")
    hours = (events["end"] - events["start"]).dt.total_minutes() / 60
    assert 1.0 <= hours.median() <= 6.0  # type: ignore[operator]
    assert hours.max() > 24  # type: ignore[operator]  # a long tail
    assert (events["peak_customers"] >= 1).all()
    assert (events["customer_hours"] >= events["peak_customers"]).all()
    master = load_master()
    outages = [o for o in month_outages(master, 42, 2026, 10) if len(o.profile) >= 4]
    assert any(o.profile[0] < max(o.profile) for o in outages)  # ramps up
    assert any(o.profile[-1] < max(o.profile) for o in outages)  # partial restorations


def test_storms_hit_neighbouring_regions_with_hundreds_of_thousands() -> None:
    master = load_master()
    plans = [p for m in range(1, 13) for p in storm_plans(master, 42, 2024, m)]
    assert 2 <= len(plans) <= 12
    for plan in plans:
        outages = storm_outages(master, 42, plan)
        totals: dict[int, int] = {}
        for o in outages:
            for i, v in enumerate(o.profile):
                totals[o.first_hour + i] = totals.get(o.first_hour + i, 0) + v
        assert 50_000 <= max(totals.values()) <= 1_500_000
        regions = {master.comunas[o.comuna_idx].cut_region for o in outages}
        assert regions <= set(plan.region_weights)


def test_truth_hourly_is_what_the_server_answers_before_quirks() -> None:
    svc = service(empty_row_rate=0.0, revision_rate=0.0)
    hourly = truth_hourly("2024-08")
    master = load_master()
    names = {c.cut: c.sec_name for c in master.comunas}
    for moment in (datetime(2024, 8, 2, 12), datetime(2024, 8, 20, 4)):
        expected = (
            hourly.filter(pl.col("hour") == moment)
            .group_by("cut_comuna")
            .agg(pl.col("customers").sum())
        )
        answered = {
            r["NOMBRE_COMUNA"]: r["CLIENTES_AFECTADOS"] for r in svc.por_fecha(hour_index(moment))
        }
        assert answered == {names[c]: n for c, n in expected.iter_rows()}


def test_outages_cross_month_boundaries_consistently() -> None:
    january, february = truth_events("2026-01"), truth_events("2026-02")
    boundary = datetime(2026, 2, 1)
    crossing = january.filter(pl.col("end") > boundary)
    assert crossing.height > 10
    assert crossing.filter(pl.col("start") >= boundary - timedelta(hours=2)).height > 0
    joined = crossing.join(february, on="outage_id", how="left", suffix="_feb")
    assert joined["cut_comuna_feb"].null_count() == 0
    for column in ("start", "end", "peak_customers", "customer_hours", "empresa_id"):
        assert (joined[column] == joined[f"{column}_feb"]).all()
    # The February answer shows the outages that started in January.
    hourly = truth_hourly("2026-02")
    seen = crossing.filter(pl.col("last_hour") >= boundary).select("cut_comuna", "empresa_id")
    first_hour = hourly.filter(pl.col("hour") == boundary).select("cut_comuna", "empresa_id")
    assert seen.join(first_hour, on=["cut_comuna", "empresa_id"], how="anti").height == 0


def test_daylight_saving_hours() -> None:
    # Chile (America/Santiago) moves clocks forward at 00:00 on the first Sunday of September
    # (2026-09-06 00:00 does not exist) and back at 24:00 on the first Saturday of April
    # (2026-04-04 23:00 happens twice).
    skipped, repeated = datetime(2026, 9, 6, 0), datetime(2026, 4, 4, 23)
    assert not exists_locally(skipped) and is_nonexistent(hour_index(skipped))
    assert exists_locally(repeated) and not is_nonexistent(hour_index(repeated))
    svc = service()
    assert svc.por_fecha(hour_index(skipped)) == []  # the hour does not exist: 200 []
    assert len(svc.por_fecha(hour_index(skipped) + 1)) > 20
    assert len(svc.por_fecha(hour_index(repeated))) > 20
    hourly = truth_hourly("2026-09")
    assert hourly.filter(pl.col("hour") == skipped).height == 0
    assert hourly["hour"].n_unique() == 30 * 24 - 1

"""Fault rules, the engine that picks them, and the payload mutations (no HTTP)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sec_sim import FaultKind, FaultRule
from sec_sim.cli import parse_fault
from sec_sim.faults import FaultEngine
from sec_sim.mutations import UNKNOWN_COMUNAS, mutate

ROWS = [
    {"NOMBRE_REGION": "Metropolitana", "NOMBRE_COMUNA": f"Comuna {i}", "CLIENTES_AFECTADOS": i}
    for i in range(1, 41)
]
LEGACY_ROWS = [
    {**r, "NOMBRE_EMPRESA": "ENEL", "ANHO_INT": 2025, "FECHA_INT_STR": "3/1/2025"} for r in ROWS
]


def test_rule_validation() -> None:
    rule = FaultRule(kind="http_500", hours=["2024-08-02 12:00", "2024-08-02T13"])
    assert rule.kind is FaultKind.HTTP_500 and rule.method == "GetPorFecha"
    assert rule.hours == ["2024-08-02T12", "2024-08-02T13"]
    for bad in (
        {"kind": "meteor"},
        {"kind": "slow", "delay_s": -1},
        {"kind": "slow", "probability": 1.5},
        {"kind": "slow", "colour": "red"},
        {"kind": "slow", "hours": ["yesterday"]},
    ):
        with pytest.raises(ValidationError):
            FaultRule.model_validate(bad)


def test_times_counts_only_the_requests_the_rule_was_applied_to() -> None:
    engine = FaultEngine(1, [FaultRule(kind="http_503", hours=["2024-08-02T12"], times=2)])
    assert engine.pick("GetPorFecha", "2024-08-02T11") is None
    assert engine.pick("GetHoraServer", None) is None
    picks = [engine.pick("GetPorFecha", "2024-08-02T12") for _ in range(4)]
    assert [p is not None for p in picks] == [True, True, False, False]
    engine.set_rules(engine.rules)  # replacing the rules restarts the counters
    assert engine.pick("GetPorFecha", "2024-08-02T12") is not None


def test_first_matching_rule_wins_and_star_matches_any_method() -> None:
    engine = FaultEngine(
        1,
        [
            {"kind": "http_429", "method": "*", "times": 1},
            {"kind": "empty"},
        ],
    )
    first = engine.pick("GetClientesNacional", None)
    assert first is not None and first.kind is FaultKind.HTTP_429
    assert engine.pick("GetClientesNacional", None) is None
    second = engine.pick("GetPorFecha", "2024-01-01T00")
    assert second is not None and second.kind is FaultKind.EMPTY


def test_probability_is_deterministic_and_retries_get_fresh_draws() -> None:
    rules = [FaultRule(kind="http_500", probability=0.3)]
    hours = [f"2024-08-{d:02d}T{h:02d}" for d in range(1, 21) for h in range(24)]
    one = [FaultEngine(5, rules).pick("GetPorFecha", h) is not None for h in hours]
    engine = FaultEngine(5, rules)
    two = [engine.pick("GetPorFecha", h) is not None for h in hours]
    assert one == two
    assert 0.2 <= sum(one) / len(one) <= 0.4
    retries = [engine.pick("GetPorFecha", "2030-01-01T00") is not None for _ in range(30)]
    assert any(retries) and not all(retries)
    other_seed = FaultEngine(6, rules)
    assert [other_seed.pick("GetPorFecha", h) is not None for h in hours] != one


def test_payload_mutations() -> None:
    key = "GetPorFecha|2024-08-02T12"
    assert mutate(FaultKind.EMPTY, ROWS, 1, key) == []
    degraded = mutate(FaultKind.DEGRADED, ROWS, 1, key)
    assert 2 <= len(degraded) <= 5 and all(r in ROWS for r in degraded)
    missing = mutate(FaultKind.DRIFT_MISSING_FIELD, ROWS, 1, key)
    assert all(tuple(r) == ("NOMBRE_REGION", "NOMBRE_COMUNA") for r in missing)
    renamed = mutate(FaultKind.DRIFT_RENAMED_FIELD, ROWS, 1, key)
    assert all(tuple(r) == ("NOMBRE_REGION", "COMUNA", "CLIENTES_AFECTADOS") for r in renamed)
    nulls = mutate(FaultKind.NULL_CUSTOMERS, ROWS, 1, key)
    bad = [r["CLIENTES_AFECTADOS"] for r in nulls if not isinstance(r["CLIENTES_AFECTADOS"], int)]
    assert bad and set(bad) <= {None, "N/A"} and len(bad) < len(ROWS)
    dates = mutate(FaultKind.BAD_DATES, LEGACY_ROWS, 1, key)
    broken = {r["FECHA_INT_STR"] for r in dates} - {"3/1/2025"}
    assert broken and broken <= {"31/02/2025", "--"}
    names = mutate(FaultKind.UNKNOWN_NAMES, ROWS, 1, key)
    unknown = [r for r in names if r["NOMBRE_COMUNA"] in UNKNOWN_COMUNAS]
    assert 0 < len(unknown) < len(ROWS)
    assert ROWS[0]["NOMBRE_COMUNA"] == "Comuna 1"  # the input is never modified in place
    assert mutate(FaultKind.DEGRADED, ROWS, 1, key) == degraded  # deterministic


def test_cli_fault_specs() -> None:
    rule = parse_fault("http_500:2024-08-02T10..2024-08-02T12,2024-08-03T00:times=2")
    assert rule.kind is FaultKind.HTTP_500 and rule.times == 2
    assert rule.hours == ["2024-08-02T10", "2024-08-02T11", "2024-08-02T12", "2024-08-03T00"]
    slow = parse_fault("slow:delay=0.5:p=0.25:method=Get")
    assert (slow.delay_s, slow.probability, slow.method, slow.hours) == (0.5, 0.25, "Get", None)
    assert parse_fault("http_429:retry_after=7").retry_after_s == 7
    with pytest.raises(ValueError):
        parse_fault("http_500:colour=red")
    with pytest.raises(ValueError):
        parse_fault("meteor")
